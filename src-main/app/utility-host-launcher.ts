// The desktop app starts the built-in engine's llama.cpp host with Electron's utilityProcess instead of running
// the app binary as Node (ELECTRON_RUN_AS_NODE): that is what lets the packaged app keep the RunAsNode fuse off
// (security finding 19). The node drives the forked child through its message port (engine/builtin/ported-host.ts).
import { portedHost, type HostLauncher, type PortedChild } from '../node/node.ts';

/** What the launcher needs of Electron's `utilityProcess` module (its `fork`, with the options used here). */
export interface UtilityProcessModule {
  fork(
    modulePath: string,
    args: string[],
    options: { env: Record<string, string>; stdio: 'pipe'; serviceName: string },
  ): PortedChild;
}

/** The host's name in Electron's process metrics (app.getAppMetrics) and child-process-gone events. */
export const HOST_SERVICE_NAME = 'OpenGateway llama.cpp host';

export function utilityHostLauncher(utilityProcess: UtilityProcessModule): HostLauncher {
  return {
    kind: 'Electron utility process',
    launch: ({ script, env, onLine }) =>
      portedHost(
        utilityProcess.fork(script, [], {
          env: definedEnv(env),
          stdio: 'pipe',
          serviceName: HOST_SERVICE_NAME,
        }),
        onLine,
      ),
  };
}

/** utilityProcess takes string values only. */
function definedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
