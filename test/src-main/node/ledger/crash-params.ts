// Accounts and params shared by the crash test and its child process.
import type { LedgerParams } from '../../../../src-shared/ledger/ledger-params.ts';
import { testAccount, testParams } from '../../../src-shared/ledger/ledger-fixtures.ts';

export const CRASH_OWNER = 900;
export const CRASH_PEER = 901;

export function crashParams(): LedgerParams {
  return testParams([
    { account: testAccount(CRASH_OWNER), tokens: 5_000n },
    { account: testAccount(CRASH_PEER), tokens: 5_000n },
  ]);
}
