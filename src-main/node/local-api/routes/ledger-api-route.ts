// GET /api/ledger: this node's account (balance, reserved, available, earned, spent), its newest blocks and
// the local reputation table, as plain JSON for the dashboard, scripts and the e2e tests. serveNode registers
// it next to /api/status.
import type { ApiRequest, ApiResponse, ApiRoute } from '../http/api-server.ts';
import { fromHex } from '../../../../src-shared/ledger/bytes.ts';
import type { AccountSummary, HistoryEntry } from '../../ledger/account-summary.ts';
import type { LedgerReader } from '../../running-node.ts';
import { ledgerAudit } from './ledger-audit.ts';

/** The body of GET /api/ledger. */
export interface LedgerApiReport {
  readonly account: AccountSummary;
  readonly history: readonly HistoryEntry[];
  readonly reputation: readonly {
    account: string;
    score: number;
    settled: number;
    failed: number;
    revoked: boolean;
  }[];
}

/**
 * The route handler; `?limit=N` (1–500, default 50) bounds the history. `?account=<64 hex digits>` answers
 * with that account's summary as this node's view has it instead (to compare views across nodes);
 * `?audit=1` with the view's conservation terms, heads digest and proven forks (ledger-audit.ts).
 */
export function ledgerApiRoute(ledgerNow: () => LedgerReader | null): ApiRoute {
  return (request: ApiRequest): ApiResponse => {
    const ledger = ledgerNow();
    // The API starts before the node: until its ledger has started, say so like the OpenAI routes do.
    if (ledger === null) return { status: 503, body: { error: 'the node is still starting' } };
    if (request.query.get('audit') === '1') return { status: 200, body: { audit: ledgerAudit(ledger.view) } };
    const other = request.query.get('account');
    if (other !== null) {
      if (!/^[0-9a-f]{64}$/.test(other))
        return {
          status: 400,
          body: { error: 'account must be 64 lowercase hex digits (a raw Ed25519 key)' },
        };
      return { status: 200, body: { account: ledger.summaryOf(fromHex(other)) } };
    }
    const raw = request.query.get('limit');
    const limit = raw === null ? 50 : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500)
      return { status: 400, body: { error: 'limit must be a whole number from 1 to 500' } };
    const report: LedgerApiReport = {
      account: ledger.summary(),
      history: ledger.history(limit),
      reputation: [...ledger.reputation()].map(([account, r]) => ({
        account,
        score: r.score,
        settled: r.settledCount,
        failed: r.failedCount,
        revoked: r.revoked,
      })),
    };
    return { status: 200, body: report };
  };
}
