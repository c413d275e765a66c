// The one owner of the contributor's node settings (the caps and the region override): faces ask the node to
// change them, and the node asks this store. Reads once, writes atomically and only when something changed.
import {
  DEFAULT_NODE_SETTINGS,
  readNodeSettings,
  writeNodeSettings,
  type NodeSettings,
} from './node-settings.ts';

/** What a face may change (the region override changes through the node's setRegion, engines through setTierEngine). */
export type NodeSettingsPatch = Partial<
  Pick<NodeSettings, 'maxConcurrentRequests' | 'gpuMemoryShare' | 'uploadBytesPerSecond'>
>;

export interface SettingsChange {
  readonly previous: NodeSettings;
  readonly next: NodeSettings;
}

export class NodeSettingsStore {
  readonly #path: string;
  #loaded: { readonly stored: NodeSettings | null } | null = null;
  #current: NodeSettings | null = null;

  constructor(path: string) {
    this.#path = path;
  }

  /** The file as it was at the first read: null when there was none (the defaults apply). */
  async stored(): Promise<NodeSettings | null> {
    this.#loaded ??= { stored: await readNodeSettings(this.#path) };
    return this.#loaded.stored;
  }

  async read(): Promise<NodeSettings> {
    this.#current ??= (await this.stored()) ?? DEFAULT_NODE_SETTINGS;
    return this.#current;
  }

  /** Applies `patch`; writes the file only when a value changed. */
  async update(patch: Partial<NodeSettings>): Promise<SettingsChange> {
    const previous = await this.read();
    let next: NodeSettings = {
      maxConcurrentRequests: patch.maxConcurrentRequests ?? previous.maxConcurrentRequests,
      gpuMemoryShare: patch.gpuMemoryShare ?? previous.gpuMemoryShare,
      regionOverride: patch.regionOverride !== undefined ? patch.regionOverride : previous.regionOverride,
      tierEngines: patch.tierEngines ?? previous.tierEngines,
      engineServer: patch.engineServer !== undefined ? patch.engineServer : previous.engineServer,
    };
    const upload = patch.uploadBytesPerSecond ?? previous.uploadBytesPerSecond;
    if (upload !== undefined) next = { ...next, uploadBytesPerSecond: upload };
    if (JSON.stringify(next) !== JSON.stringify(previous)) {
      await writeNodeSettings(this.#path, next);
      this.#current = next;
    }
    return { previous, next };
  }
}
