// User lookups; users are global, their access comes from workspace memberships.
import { eq } from 'drizzle-orm';
import type { Db } from './client.ts';
import { users } from './schema.ts';

export type UserRow = typeof users.$inferSelect;

export async function findUser(db: Db, id: string): Promise<UserRow | undefined> {
  return db.query.users.findFirst({ where: eq(users.id, id) });
}

export async function findUserByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  return db.query.users.findFirst({ where: eq(users.username, username) });
}
