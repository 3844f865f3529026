#!/usr/bin/env node
// Writes the README's key table (under "### Keys") from the registry of key actions
// (dist/src/ui/keys/registry.js; run `npm run build` first). The docs test fails when they differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { keyTableMarkdown } = await import(join(root, 'dist', 'src', 'ui', 'keys', 'registry.js'));
const file = join(root, 'README.md');
const text = readFileSync(file, 'utf8');
const at = text.indexOf('\n| key |', text.indexOf('### Keys'));
if (at < 0) throw new Error('README.md has no key table under "### Keys"');
const end = text.indexOf('\n\n', at + 1);
writeFileSync(file, `${text.slice(0, at + 1)}${keyTableMarkdown()}${text.slice(end)}`);
console.log('README.md: key table written from the registry');
