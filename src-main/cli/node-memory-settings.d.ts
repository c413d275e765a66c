// Types of node-memory-settings.js (plain JavaScript so that the node launcher never loads TypeScript).
export declare const NODE_MEMORY_FLAGS: readonly string[];
export declare const NODE_MEMORY_ENV: Readonly<Record<string, string>>;
export declare const RELAUNCHED_ENV: string;

export interface MemoryRelaunchInput {
  readonly execPath: string;
  readonly execArgv: readonly string[];
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: string;
  readonly hasIpcChannel: boolean;
}

export interface MemoryRelaunch {
  readonly file: string;
  readonly args: string[];
  readonly env: Record<string, string | undefined>;
}

export declare function memoryRelaunch(input: MemoryRelaunchInput): MemoryRelaunch | null;

export interface RelaunchableProcess {
  readonly execPath: string;
  readonly execArgv: readonly string[];
  readonly argv: readonly string[];
  readonly env: Record<string, string | undefined>;
  readonly platform: string;
  readonly channel?: unknown;
  readonly execve?: (file: string, args: string[], env: Record<string, string | undefined>) => void;
}

export declare function relaunchWithMemorySettings(proc?: RelaunchableProcess): string;
