import { BalanceChart } from '../components/balance-chart.tsx';
import { formatNumber, formatTime, formatTokens } from '../format.ts';
import { useApp } from '../store/use-app.ts';

export function EarningsPage() {
  const balance = useApp((state) => state.balance);
  const earnings = useApp((state) => state.earnings);
  // Everything loads together, so a known status with no balance means the node keeps no ledger yet.
  const loaded = useApp((state) => state.status !== null);
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
              <p className="hint">{formatTokens(balance.reserved)} held for chats in progress.</p>
            )}
          </section>
          <section className="card" aria-labelledby="earned-heading">
            <h3 id="earned-heading">Earned</h3>
            <p className="big">{formatTokens(balance.earned)}</p>
          </section>
          <section className="card" aria-labelledby="spent-heading">
            <h3 id="spent-heading">Spent</h3>
            <p className="big">{formatTokens(balance.spent)}</p>
          </section>
        </div>
      ) : (
        <p className="empty" data-testid="balance-unavailable">
          {loaded
            ? 'Balance not available yet: this node does not keep a ledger of earnings and spending yet.'
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
                <th scope="col">Tokens</th>
              </tr>
            </thead>
            <tbody>
              {earnings.recent.map((entry) => (
                <tr key={entry.id}>
                  <td>{formatTime(entry.at)}</td>
                  <td>{entry.direction === 'earned' ? 'Answered a request' : 'Your chat'}</td>
                  <td>{entry.model ?? entry.tier}</td>
                  <td>≈ {formatNumber(Math.round(entry.tokens * 0.75))} words</td>
                  <td className={entry.direction === 'earned' ? 'plus' : 'minus'}>
                    {entry.direction === 'earned' ? '+' : '−'}
                    {formatNumber(entry.amount)}
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
