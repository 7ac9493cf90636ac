// `trellis accounts create`: asks a running Trellis to add an account with a root access key.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call } from '../core/client.ts';

const HELP = `Usage: trellis accounts create [--account-id 123456789012] [--name NAME]

  --endpoint URL    the Trellis API (default http://127.0.0.1:8470)
  --data-dir DIR    where to find the administrator's credentials (default ./.trellis)
  --region NAME     default us-east-1

Signs with TRELLIS_ACCESS_KEY_ID/TRELLIS_SECRET_ACCESS_KEY when set, else with <data-dir>/credentials.
Prints the new account's id and access key as JSON.`;

/** Reads one profile of an AWS shared-credentials file. */
export function readCredentials(file: string, profile = 'trellis'): { accessKeyId: string; secretAccessKey: string } {
  let current = '';
  const found: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const section = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (section) { current = section[1].trim(); continue; }
    const kv = /^\s*([\w]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (kv && current === profile) found[kv[1]] = kv[2];
  }
  if (!found.aws_access_key_id || !found.aws_secret_access_key) throw new Error(`no profile "${profile}" with keys in ${file}`);
  return { accessKeyId: found.aws_access_key_id, secretAccessKey: found.aws_secret_access_key };
}

export async function accountsCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      'account-id': { type: 'string' },
      name: { type: 'string' },
      endpoint: { type: 'string', default: 'http://127.0.0.1:8470' },
      'data-dir': { type: 'string', default: './.trellis' },
      region: { type: 'string', default: 'us-east-1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (sub !== 'create' || values.help) {
    console.log(HELP);
    if (sub !== 'create' && !values.help) process.exitCode = 2;
    return;
  }
  const creds = process.env.TRELLIS_ACCESS_KEY_ID && process.env.TRELLIS_SECRET_ACCESS_KEY
    ? { accessKeyId: process.env.TRELLIS_ACCESS_KEY_ID, secretAccessKey: process.env.TRELLIS_SECRET_ACCESS_KEY }
    : readCredentials(join(values['data-dir'], 'credentials'));
  const out = await call(
    { endpoint: values.endpoint, region: values.region, ...creds }, 'POST', '/_trellis/accounts',
    { accountId: values['account-id'], name: values.name },
  );
  console.log(JSON.stringify(out));
}
