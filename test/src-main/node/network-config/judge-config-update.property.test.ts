// Fuzzing config updates (issue 15 item 3): any peer can publish on the config topic. An edited copy of the
// real signed default network, as bytes off gossip, is judged without a throw, never accepted without the
// founders' signatures, and the document decoder refuses it only with its named error (a TypeError from a
// forgotten check would be hidden by the judge as "not UTF-8 JSON").
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import shipped from '../../../../src-main/node/network-config/default-network/opengateway-main.json' with { type: 'json' };
import { loadDefaultNetworkConfig } from '../../../../src-main/node/network-config/default-network.ts';
import { nodeEd25519Verify } from '../../../../src-main/node/network-config/ed25519.ts';
import { judgeConfigUpdate } from '../../../../src-main/node/network-config/judge-config-update.ts';
import {
  NetworkConfigInvalidError,
  parseSignedNetworkConfig,
} from '../../../../src-shared/network-config/index.ts';
import { editedJson, editedJsonText } from '../../../src-shared/json-mutations.ts';

const RUNS = Number(process.env.OG_FUZZ_RUNS ?? 300);
const { config: current } = loadDefaultNetworkConfig();
// A newer revision (its signatures no longer match), so edits reach the checks after "is it news?".
const newer = { ...shipped, config: { ...shipped.config, revision: shipped.config.revision + 1 } };

describe('config updates under fuzzing', () => {
  it('the signed document decoder refuses an edited document only with NetworkConfigInvalidError', () => {
    let refused = 0;
    fc.assert(
      fc.property(fc.oneof(editedJson(shipped), editedJson(newer)), (document) => {
        try {
          parseSignedNetworkConfig(document);
        } catch (error) {
          if (!(error instanceof NetworkConfigInvalidError)) throw error;
          refused += 1;
        }
      }),
      { numRuns: RUNS },
    );
    expect(refused).toBeGreaterThan(0);
  });

  it('judges any bytes a peer publishes, and accepts none without the founders', () => {
    const verdicts = { accept: 0, ignore: 0, reject: 0 };
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(
        fc.oneof(
          editedJsonText(newer).map((text) => encoder.encode(text)),
          editedJsonText(shipped).map((text) => encoder.encode(text)),
          fc.uint8Array({ maxLength: 2_048 }),
        ),
        (bytes) => {
          const judged = judgeConfigUpdate(current, bytes, nodeEd25519Verify);
          verdicts[judged.verdict] += 1;
          expect(judged.verdict).not.toBe('accept');
          if (judged.verdict !== 'accept') expect(judged.reason.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: RUNS },
    );
    console.log(
      `config update fuzz: ${RUNS} updates, ${verdicts.ignore} ignored, ${verdicts.reject} rejected`,
    );
    expect(verdicts.reject).toBeGreaterThan(0);
  });
});
