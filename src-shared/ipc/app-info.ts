// Facts about the running app (version, where it keeps data, the local API) and the auto-update state.
import { nullable, number, object, oneOf, string, taggedUnion, type Infer } from './schema.ts';

export const appInfoSchema = object({
  version: string({ max: 50 }),
  /** `desktop`: the Electron app; `headless`: `opengateway-node` serving this UI in a browser. */
  shell: oneOf(['desktop', 'headless']),
  dataDir: string({ max: 4096 }),
  /** The OpenAI-compatible API other apps can use, with its key; null while it is not listening. */
  localApi: nullable(object({ url: string({ max: 200 }), key: string({ max: 200 }) })),
  /** The network this node belongs to ("opengateway-main", "devnet-…"). */
  network: nullable(string({ max: 100 })),
});
export type AppInfo = Infer<typeof appInfoSchema>;

const version = string({ max: 50 });

export const updateStateSchema = taggedUnion('state', {
  /** Headless nodes and development builds do not self-update. */
  unsupported: { reason: string({ max: 300 }) },
  idle: {},
  checking: {},
  'up-to-date': { checkedAt: number({ min: 0, max: 8.64e15, integer: true }) },
  available: { version },
  downloading: { version, percent: number({ min: 0, max: 100 }) },
  /** Installs when the app quits, or now with `installUpdate`. */
  downloaded: { version },
  error: { message: string({ max: 500 }) },
});
export type UpdateState = Infer<typeof updateStateSchema>;
