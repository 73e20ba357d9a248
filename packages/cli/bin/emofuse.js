#!/usr/bin/env node
// The installed `emofuse` command (npm install -g, npx, node_modules/.bin): the built CLI in
// ../dist. Inside the clone, ./emofuse runs the TypeScript sources instead.
import { main } from '../dist/main.js';

process.exit(await main(process.argv.slice(2)));
