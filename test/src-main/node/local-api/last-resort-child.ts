// Child process for last-resort.test.ts: installs the handlers, lets a promise fail unhandled and an
// exception escape a timer, then shows it is still running by answering on stdout.
import { installLastResortHandlers } from '../../../../src-main/node/local-api/last-resort.ts';

installLastResortHandlers({ log: (line) => process.stderr.write(`${line}\n`) });
void Promise.reject(new Error('a promise nobody awaited'));
setTimeout(() => {
  throw new Error('an exception out of a timer');
}, 10);
setTimeout(() => process.stdout.write('still serving\n'), 100);
