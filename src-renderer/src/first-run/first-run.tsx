import type { FirstRunView } from '../store/app-state.ts';
import { SetupProgress } from './setup-progress.tsx';
import { Welcome } from './welcome.tsx';

/** The first run: the welcome, then the setup watched live; it ends on the Overview. */
export function FirstRun({ view }: { readonly view: Exclude<FirstRunView, null> }) {
  return <main className="first-run-main">{view === 'welcome' ? <Welcome /> : <SetupProgress />}</main>;
}
