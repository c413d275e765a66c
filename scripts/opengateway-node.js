#!/usr/bin/env node
// `opengateway-node` (package.json "bin"; `npm start`, `npm run node` and the devnet start nodes through it):
// runs the bundled headless node, out/node/bin.js, rebuilding it first when any source changed
// (scripts/node-build.js). Plain JavaScript, imported in this same process: no TypeScript stripper and no
// second process. Should the build fail, the same code runs from the .ts sources (heavier), with a warning.
import { ensureNodeBuilt, NODE_BUNDLE, NODE_SOURCE } from './node-build.js';
import { pathToFileURL } from 'node:url';

const problem = ensureNodeBuilt();
if (problem !== null)
  process.stderr.write(`opengateway-node: ${problem}; running from the TypeScript sources instead\n`);
await import(pathToFileURL(problem === null ? NODE_BUNDLE : NODE_SOURCE).href);
