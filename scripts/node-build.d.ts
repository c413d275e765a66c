// Types of scripts/node-build.js (plain JavaScript so that the node launcher never loads TypeScript).
export declare const NODE_BUILD_DIR: string;
export declare const NODE_BUNDLE: string;
export declare const NODE_SOURCE: string;
export declare function nodeBuildIsFresh(outDir?: string): boolean;
export declare function ensureNodeBuilt(outDir?: string): string | null;
