import type { EarningsEntry } from '../../../src-shared/ipc/index.ts';
import { BalanceChart } from '../components/balance-chart.tsx';
import { formatNumber, formatTime, formatTokenAmount, formatTokens } from '../format.ts';
import { useApp } from '../store/use-app.ts';

/** "Model C (llama-3.1-70b)", or what is known of it. */
function modelOf(entry: EarningsEntry, tierLabels: ReadonlyMap<string, string>): string {
  const label = entry.tier === null ? null : (tierLabels.get(entry.tier) ?? entry.tier);
  if (label && entry.model) return `${label} (${entry.model})`;
  return label ?? entry.model ?? 'Not known';
}

export function EarningsPage() {
  const balance = useApp((state) => state.balance);
  const earnings = useApp((state) => state.earnings);
  const tiers = useApp((state) => state.resources?.tiers);
  // Everything loads together, so a known status with no balance means the node has no ledger open yet.
  const loaded = useApp((state) => state.status !== null);
  const tierLabels = new Map((tiers ?? []).map((tier) => [tier.tier, tier.label]));
  return (
    <div className="page">
      <h2>Earnings</h2>
      <p className="hint">
        You earn tokens when your computer answers someone’s request, and spend them when you chat. Nothing is
        bought or sold.
      </p>
      {balance ? (
        <div className="grid">
          <section className="card" aria-labelledby="balance-heading">
            <h3 id="balance-heading">Balance</h3>
            <p className="big" data-testid="balance">
              {formatTokens(balance.available)}
            </p>
            {balance.reserved > 0 && (
              <p className="hint" data-testid="reserved">
                {formatTokens(balance.reserved)} held for chats in progress.
              </p>
            )}
            {balance.heldAhead > 0 && (
              <p className="hint" data-testid="held-ahead">
                {formatTokens(balance.heldAhead)} of it reserved for your next chat, so it starts at once
                (still yours: freed when unused).
              </p>
            )}
            <p className="hint">
              Chatting needs at least {formatTokens(balance.minimumToRequest)} available.
            </p>
          </section>
          <section className="card" aria-labelledby="earned-heading">
            <h3 id="earned-heading">Earned</h3>
            <p className="big" data-testid="earned">
              {formatTokens(balance.earned)}
            </p>
            <p className="hint">By answering other people’s requests.</p>
          </section>
          <section className="card" aria-labelledby="spent-heading">
            <h3 id="spent-heading">Spent</h3>
            <p className="big" data-testid="spent">
              {formatTokens(balance.spent)}
            </p>
            <p className="hint">On your own chats.</p>
          </section>
        </div>
      ) : (
        <p className="empty" data-testid="balance-unavailable">
          {loaded
            ? 'Balance not available yet: this node has not opened its ledger of earnings and spending yet.'
            : 'No balance yet.'}
        </p>
      )}
      <section className="card" aria-labelledby="chart-heading">
        <h3 id="chart-heading">Balance over time</h3>
        {loaded && earnings === null ? (
          <p className="empty">Not recorded yet.</p>
        ) : (
          <BalanceChart series={earnings?.series ?? []} />
        )}
      </section>
      <section className="card" aria-labelledby="recent-heading">
        <h3 id="recent-heading">Recent requests</h3>
        {!earnings || earnings.recent.length === 0 ? (
          <p className="empty">
            {loaded && earnings === null ? 'Requests are not recorded yet.' : 'No requests yet.'}
          </p>
        ) : (
          <table aria-label="Recent requests">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Model</th>
                <th scope="col">Length</th>
                <th scope="col">Other computer</th>
                <th scope="col">Tokens</th>
              </tr>
            </thead>
            <tbody>
              {earnings.recent.map((entry) => (
                <tr key={entry.id}>
                  <td>{formatTime(entry.at)}</td>
                  <td>{entry.direction === 'earned' ? 'Answered a request' : 'Your chat'}</td>
                  <td>{modelOf(entry, tierLabels)}</td>
                  <td title={`${formatNumber(entry.tokens)} tokens of text`}>
                    ≈ {formatNumber(Math.round(entry.tokens * 0.75))} words
                  </td>
                  <td>{entry.counterparty ?? '—'}</td>
                  <td className={entry.direction === 'earned' ? 'plus' : 'minus'}>
                    {entry.direction === 'earned' ? '+' : '−'}
                    {formatTokenAmount(entry.amount)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
