// Accounts and their access keys, as stored records. Every resource belongs to an account; every
// access key belongs to one identity of one account.
import { randomBytes } from 'node:crypto';
import type { Write } from '../store/store.ts';

export interface AccountRecord { id: string; name: string; createdAt: string }
export interface AccessKeyRecord {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  /** The identity the key belongs to (an IAM user or the account root). */
  arn: string;
  /** The bootstrap administrator may do everything, including adding accounts. */
  admin?: boolean;
  createdAt: string;
}

export const ACCOUNT_ID = /^\d{12}$/;

export function newAccessKey(): { accessKeyId: string; secretAccessKey: string } {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(16);
  let id = 'AKIA';
  for (let i = 0; i < 16; i++) id += alphabet[bytes[i] % 32];
  return { accessKeyId: id, secretAccessKey: randomBytes(30).toString('base64').replace(/[+/=]/g, 'x').slice(0, 40) };
}

export function newAccountId(): string {
  const n = randomBytes(6).readUIntBE(0, 6) % 1e12;
  return String(n).padStart(12, '1');
}

/** The writes that create an account (if new) and an access key for its root. */
export function accountWrites(accountId: string, name: string, key: { accessKeyId: string; secretAccessKey: string }, admin: boolean, exists: boolean): Write[] {
  const now = new Date().toISOString();
  const writes: Write[] = [];
  if (!exists) writes.push({ key: `account/${accountId}`, value: { id: accountId, name, createdAt: now } });
  const rec: AccessKeyRecord = { ...key, accountId, arn: `arn:aws:iam::${accountId}:root`, createdAt: now, ...(admin ? { admin } : {}) };
  writes.push({ key: `accesskey/${key.accessKeyId}`, value: { ...rec } });
  return writes;
}
