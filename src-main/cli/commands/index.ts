// Every `opengateway-node` command, in the order --help lists them. Add a command: one file, one line here.
import type { CliCommand } from '../cli-command.ts';
import { engineCommand } from './engine.ts';
import { ledgerCommand } from './ledger.ts';
import { modelsCommand } from './models.ts';
import { networkCommand } from './network.ts';
import { profileCommand } from './profile.ts';
import { startCommand } from './start.ts';
import { statusCommand } from './status.ts';

export const COMMANDS: readonly CliCommand[] = [
  startCommand,
  statusCommand,
  profileCommand,
  networkCommand,
  engineCommand,
  modelsCommand,
  ledgerCommand,
];
