import { describe, expect, it } from 'vitest';
import {
  encodeFrame,
  FrameReader,
  FrameTooLargeError,
} from '../../../../../src-main/node/engine/builtin/host-frames.ts';
import {
  decodeHostCommand,
  decodeHostEvent,
  HostProtocolError,
} from '../../../../../src-main/node/engine/builtin/host-protocol.ts';

describe('host frames', () => {
  it('reassembles frames split anywhere and refuses an announced length over the limit', () => {
    const bytes = Buffer.concat([
      encodeFrame({ t: 'progress', progress: 0.5 }, 1024),
      encodeFrame({ a: 'é' }, 1024),
    ]);
    const reader = new FrameReader(1024);
    const bodies = [...bytes].flatMap((byte) => reader.push(Buffer.from([byte])));
    expect(bodies).toEqual(['{"t":"progress","progress":0.5}', '{"a":"é"}']);
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(1025);
    expect(() => new FrameReader(1024).push(huge)).toThrow(FrameTooLargeError);
    expect(() => encodeFrame('x'.repeat(2000), 1024)).toThrow(FrameTooLargeError);
  });

  it('refuses invalid UTF-8 in a frame', () => {
    const frame = Buffer.from([0, 0, 0, 2, 0xc3, 0x28]);
    expect(() => new FrameReader(1024).push(frame)).toThrow();
  });
});

describe('host events (decoded by the node)', () => {
  it('accepts the protocol', () => {
    expect(decodeHostEvent('{"t":"delta","id":3,"text":"hi"}')).toEqual({ t: 'delta', id: 3, text: 'hi' });
    expect(
      decodeHostEvent('{"t":"done","id":3,"promptTokens":5,"completionTokens":2,"finishReason":"length"}'),
    ).toMatchObject({ t: 'done', completionTokens: 2 });
    expect(
      decodeHostEvent('{"t":"ready","backend":"cpu","gpuLayers":0,"contextSize":2048,"threads":1}'),
    ).toMatchObject({ backend: 'cpu' });
  });

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['an unknown type', '{"t":"shell","cmd":"rm"}'],
    ['an unknown field', '{"t":"delta","id":3,"text":"hi","extra":1}'],
    ['a negative id', '{"t":"delta","id":-1,"text":"hi"}'],
    [
      'a fractional count',
      '{"t":"done","id":1,"promptTokens":1.5,"completionTokens":2,"finishReason":"stop"}',
    ],
    [
      'an unknown finish reason',
      '{"t":"done","id":1,"promptTokens":1,"completionTokens":2,"finishReason":"x"}',
    ],
    ['progress above 1', '{"t":"progress","progress":2}'],
    ['an unknown backend', '{"t":"ready","backend":"tpu","gpuLayers":0,"contextSize":1,"threads":1}'],
    ['an oversized text', JSON.stringify({ t: 'delta', id: 1, text: 'x'.repeat(20_000) })],
  ])('refuses %s', (_what, body) => {
    expect(() => decodeHostEvent(body)).toThrow(HostProtocolError);
  });
});

describe('host commands (decoded by the host)', () => {
  it('accepts a chat and refuses bad roles, empty histories and out-of-range settings', () => {
    const chat = { t: 'chat', id: 1, messages: [{ role: 'user', text: 'hi' }], maxTokens: 4 };
    expect(decodeHostCommand(JSON.stringify(chat))).toEqual(chat);
    for (const bad of [
      { ...chat, messages: [] },
      { ...chat, messages: [{ role: 'tool', text: 'x' }] },
      { ...chat, maxTokens: 0 },
      { ...chat, temperature: 5 },
      { ...chat, stop: 'x' },
      {
        t: 'load',
        modelPath: '/m',
        contextSize: 8,
        threads: 1,
        gpu: true,
        gpuLayers: 0,
        gpuShare: 1,
        sequences: 1,
      },
    ]) {
      expect(() => decodeHostCommand(JSON.stringify(bad))).toThrow(HostProtocolError);
    }
  });
});
