import { describe, expect, it } from 'vitest';
import { regionFromTimezone, systemTimezone } from '../../../../src-main/node/geo/timezone-region.ts';

const intlZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

describe('systemTimezone', () => {
  it('reads the zone from where /etc/localtime links (Linux and macOS layouts)', () => {
    const link = (target: string) => systemTimezone({ env: {}, localtimeLink: () => target });
    expect(link('/usr/share/zoneinfo/Asia/Manila')).toBe('Asia/Manila');
    expect(link('../usr/share/zoneinfo/Europe/Berlin')).toBe('Europe/Berlin');
    expect(link('/var/db/timezone/zoneinfo/America/Argentina/Buenos_Aires')).toBe(
      'America/Argentina/Buenos_Aires',
    );
    expect(link('/usr/share/zoneinfo/posix/Asia/Tokyo')).toBe('Asia/Tokyo');
    expect(link('/usr/share/zoneinfo/UTC')).toBe('UTC');
    expect(link('/usr/share/zoneinfo/Etc/UTC')).toBe('UTC');
    expect(regionFromTimezone(link('/usr/share/zoneinfo/Asia/Manila'))?.region).toBe('asia');
  });

  it('asks Intl when TZ is set, when there is no link, or when the link names no zone', () => {
    expect(
      systemTimezone({ env: { TZ: 'Asia/Manila' }, localtimeLink: () => '/usr/share/zoneinfo/UTC' }),
    ).toBe(intlZone());
    expect(systemTimezone({ env: {}, localtimeLink: () => null })).toBe(intlZone());
    expect(systemTimezone({ env: {}, localtimeLink: () => '/etc/some/localtime' })).toBe(intlZone());
    expect(systemTimezone({ env: {}, localtimeLink: () => '/usr/share/zoneinfo/../../etc/passwd' })).toBe(
      intlZone(),
    );
  });

  it('agrees with Intl on this machine', () => {
    expect(systemTimezone()).toBe(intlZone());
    expect(regionFromTimezone(systemTimezone())).toEqual(regionFromTimezone(intlZone()));
  });
});
