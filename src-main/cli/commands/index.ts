// Every `opengateway-node` command, in the order --help lists them. Add a command: one file, one line here.
import type { CliCommand } from '../cli-command.ts';
import { profileCommand } from './profile.ts';

export const COMMANDS: readonly CliCommand[] = [profileCommand];
