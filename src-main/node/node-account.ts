// The first part of onboarding: the node's identity (its key is its peer id and its ledger account) and its
// ledger (the SQLite store, its own chain, payments), started in that order and stopped in reverse.
import type { NetworkConfig } from '../../src-shared/network-config/index.ts';
import { IdentityService } from './identity/identity-service.ts';
import { ledgerParamsFromConfig } from './ledger/ledger-params-from-config.ts';
import { NodeLedger } from './ledger/node-ledger.ts';
import type { Locations } from './locations.ts';
import type { NodeOptions } from './node-options.ts';
import type { StartedParts } from './startable.ts';

export interface NodeAccountInit {
  readonly options: NodeOptions;
  readonly locations: Locations;
  readonly config: NetworkConfig;
  readonly started: StartedParts;
  readonly log: (line: string) => void;
}

export async function startNodeAccount(
  init: NodeAccountInit,
): Promise<{ readonly identity: IdentityService; readonly ledger: NodeLedger }> {
  const { options, locations, config, started, log } = init;
  const identity = await started.start(
    new IdentityService({ locations }, { fingerprintSalt: config.fingerprintSalt, ...options.identity }),
  );
  log(`identity: peer id ${identity.peerId.toString()}${identity.created ? ' (new)' : ''}`);
  log(`network: ${config.networkId} (revision ${config.revision})`);
  const ledger = await started.start(
    new NodeLedger(
      { identity, params: ledgerParamsFromConfig(config), dbPath: locations.ledgerDb, log },
      options.ledger,
    ),
  );
  return { identity, ledger };
}
