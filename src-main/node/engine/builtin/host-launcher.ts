// How the built-in engine starts its llama.cpp host: a dependency, so the node never needs Electron. The
// headless node (and tests) start it as a child process of this Node with a pipe on fd 3; the desktop app
// passes its own launcher (src-main/app/utility-host-launcher.ts) that starts it with Electron's
// utilityProcess, which lets the packaged app keep the RunAsNode fuse off (security finding 19).
import { Duplex } from 'node:stream';
import type { SupervisedProcess } from '../engine-base.ts';
import type { EngineLogLine } from '../engine.ts';
import { ManagedProcess } from '../managed-process.ts';

export interface HostLaunch {
  /** The host's entry script (llama-host.ts from source, llama-host.js when built). */
  readonly script: string;
  readonly env: NodeJS.ProcessEnv;
  /** Each line the host writes to stdout or stderr (its log). */
  readonly onLine: (line: EngineLogLine) => void;
}

/** A running host: the byte channel its frames travel on, plus what the engine supervises. */
export interface HostProcess extends SupervisedProcess {
  /** Ends when the host is gone; the engine writes commands and reads events here (host-frames.ts). */
  readonly channel: Duplex;
}

export interface HostLauncher {
  /** For the log: "child process", "Electron utility process". */
  readonly kind: string;
  launch(spec: HostLaunch): HostProcess;
}

/** Starting the host as a child process of Electron would start the app again, not Node. */
export class HostLauncherUnavailableError extends Error {
  override readonly name = 'HostLauncherUnavailableError';
}

/**
 * The host as a child process of `execPath` (default this Node), with a pipe on its fd 3 and its own process
 * group, stopped like EXO (SIGTERM, grace, SIGKILL of the group).
 */
export function childProcessHostLauncher(execPath?: string): HostLauncher {
  return {
    kind: 'child process',
    launch({ script, env, onLine }) {
      if (execPath === undefined && process.versions.electron !== undefined) {
        // Only ELECTRON_RUN_AS_NODE would make the app binary run the host as Node, and the packaged app has
        // that fuse off: inside Electron the host starts through the app's utilityProcess launcher.
        throw new HostLauncherUnavailableError(
          'inside Electron the llama.cpp host starts with utilityProcess: pass the app’s host launcher',
        );
      }
      const child = new ManagedProcess({
        command: execPath ?? process.execPath,
        args: [script],
        env,
        onLine,
        channel: true,
      });
      return {
        get pid() {
          return child.pid;
        },
        get running() {
          return child.running;
        },
        exited: child.exited,
        stop: (graceMs) => child.stop(graceMs),
        // No pipe when the process could not be started: a channel that is already over (the exit says why).
        channel: child.channel ?? endedChannel(),
      };
    },
  };
}

function endedChannel(): Duplex {
  return new Duplex({
    read() {
      this.push(null);
    },
    write(_chunk, _encoding, done) {
      done(new Error('the host process has no channel'));
    },
  });
}
