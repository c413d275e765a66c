#!/usr/bin/env node
// `opengateway-node` (package.json "bin"; `npm start`, `npm run node`, `npx opengateway-node` and the devnet
// start nodes through it): runs the bundled headless node, out/node/bin.js, rebuilding it first when any source
// changed (scripts/node-build.js). Plain JavaScript, imported in this same process: no TypeScript stripper
// and no second process. Started without the node's memory flags and environment (npx, a shell, a service
// file), it first re-executes itself with them, in place (same pid, same stdio; see node-memory-settings.js).
// Should the build fail, the same code runs from the .ts sources (heavier), with a warning.
import { relaunchWithMemorySettings } from '../src-main/cli/node-memory-settings.js';
import { ensureNodeBuilt, NODE_BUNDLE, NODE_SOURCE } from './node-build.js';
import { pathToFileURL } from 'node:url';

// Where it cannot (Windows: no execve), the node runs as started, with V8's larger young generation.
const relaunch = relaunchWithMemorySettings();
if (relaunch.startsWith('re-executing failed'))
  process.stderr.write(`opengateway-node: ${relaunch}; running without the memory settings\n`);
const problem = ensureNodeBuilt();
if (problem !== null)
  process.stderr.write(`opengateway-node: ${problem}; running from the TypeScript sources instead\n`);
await import(pathToFileURL(problem === null ? NODE_BUNDLE : NODE_SOURCE).href);
