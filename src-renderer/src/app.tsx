import { ConnectionBanner } from './components/connection-banner.tsx';
import { StatusHeader } from './components/status-header.tsx';
import { FirstRun } from './first-run/first-run.tsx';
import { ChatPage } from './pages/chat-page.tsx';
import { EarningsPage } from './pages/earnings-page.tsx';
import { OverviewPage } from './pages/overview-page.tsx';
import { SettingsPage } from './pages/settings-page.tsx';
import type { PageId } from './store/app-state.ts';
import { useApp } from './store/use-app.ts';

const PAGES: readonly { readonly id: PageId; readonly label: string }[] = [
  { id: 'overview', label: 'Overview' },
  { id: 'earnings', label: 'Earnings' },
  { id: 'chat', label: 'Chat' },
  { id: 'settings', label: 'Settings' },
];

function CurrentPage({ page }: { readonly page: PageId }) {
  switch (page) {
    case 'overview':
      return <OverviewPage />;
    case 'earnings':
      return <EarningsPage />;
    case 'chat':
      return <ChatPage />;
    case 'settings':
      return <SettingsPage />;
  }
}

/** The window's root once a connection to a node has been chosen. */
export function App({ onChangeKey }: { readonly onChangeKey?: () => void }) {
  const page = useApp((state) => state.page);
  const goTo = useApp((state) => state.goTo);
  const firstRunView = useApp((state) => state.firstRunView);
  if (firstRunView !== null)
    return (
      <div className="shell first-run-shell">
        <ConnectionBanner onChangeKey={onChangeKey} />
        <FirstRun view={firstRunView} />
      </div>
    );
  return (
    <div className="shell">
      <nav aria-label="Pages">
        <h1>OpenGateway</h1>
        <ul>
          {PAGES.map((entry) => (
            <li key={entry.id}>
              <button
                type="button"
                className={entry.id === page ? 'nav-item current' : 'nav-item'}
                aria-current={entry.id === page ? 'page' : undefined}
                onClick={() => goTo(entry.id)}
              >
                {entry.label}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main>
        <ConnectionBanner onChangeKey={onChangeKey} />
        <StatusHeader />
        <CurrentPage page={page} />
      </main>
    </div>
  );
}
