import { readFileSync } from 'node:fs';

/** The version of this CLI (packages/cli/package.json). */
export const CLI_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;
