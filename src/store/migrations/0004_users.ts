import type { Kysely } from 'kysely';
import { type Columns, createdNow, defaulted, keyedTable, reference, required } from './columns.js';

/** People of the web API: users with a scrypt password hash, their login sessions and API tokens. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await keyedTable(db, 'users')
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .$call(required('text', 'password_hash', 'role'))
    .$call(defaulted('integer', 'disabled', 0))
    .$call(createdNow())
    .execute();
  await keyedTable(db, 'sessions')
    .$call(userToken())
    .$call(required('text', 'csrf_token', 'created_at', 'expires_at'))
    .execute();
  await keyedTable(db, 'api_tokens').$call(userToken()).$call(required('text', 'created_at')).execute();
}

/** What a session and an API token begin with after their key: whose they are, and the hash of their secret. */
function userToken(): Columns<'user_id' | 'token_hash'> {
  return (t) => t.$call(reference('user_id', 'users.id')).addColumn('token_hash', 'text', (c) => c.notNull().unique());
}
