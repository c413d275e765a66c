import { describe, expect, it } from 'vitest';
import { defaultDataDir, locationsFor } from '../../../src-main/node/locations.ts';

describe('locations', () => {
  it('puts the data folder where each platform expects it', () => {
    expect(defaultDataDir({}, 'linux', '/home/ana')).toBe('/home/ana/.local/share/opengateway');
    expect(defaultDataDir({ XDG_DATA_HOME: '/data' }, 'linux', '/home/ana')).toBe('/data/opengateway');
    expect(defaultDataDir({}, 'darwin', '/Users/ana')).toBe(
      '/Users/ana/Library/Application Support/OpenGateway',
    );
    expect(defaultDataDir({ APPDATA: 'C:/Users/ana/AppData/Roaming' }, 'win32', 'C:/Users/ana')).toMatch(
      /Roaming[\\/]OpenGateway$/,
    );
  });

  it('lets OPENGATEWAY_DATA_DIR choose another folder', () => {
    expect(defaultDataDir({ OPENGATEWAY_DATA_DIR: '/srv/og' }, 'linux', '/root')).toBe('/srv/og');
  });

  it('keeps every file inside the data folder', () => {
    const locations = locationsFor('/srv/og');
    for (const [name, path] of Object.entries(locations) as Array<[string, string]>) {
      expect(path === '/srv/og' || path.startsWith('/srv/og/'), name).toBe(true);
    }
  });
});
