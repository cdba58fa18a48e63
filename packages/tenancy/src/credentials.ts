import { type ControlDb, controlSchema } from '@warren/db';
import { and, eq } from 'drizzle-orm';

const { credentials } = controlSchema;

export type Provider = (typeof credentials.provider.enumValues)[number];

export interface StoredCredential {
  provider: Provider;
  /** The last characters of the key, so an admin can tell which key is stored. */
  hint: string;
  createdAt: Date;
  updatedAt: Date;
}

const infoColumns = {
  provider: credentials.provider,
  hint: credentials.hint,
  createdAt: credentials.createdAt,
  updatedAt: credentials.updatedAt,
};

/** Stores (or replaces) a tenant's own provider key, already sealed to the credential proxy. */
export async function storeCredential(
  db: ControlDb,
  tenantId: string,
  provider: Provider,
  sealed: string,
  hint: string,
): Promise<StoredCredential> {
  const [row] = await db
    .insert(credentials)
    .values({ tenantId, provider, sealed, hint })
    .onConflictDoUpdate({
      target: [credentials.tenantId, credentials.provider],
      set: { sealed, hint, updatedAt: new Date() },
    })
    .returning(infoColumns);
  return row!;
}

export function listCredentials(db: ControlDb, tenantId: string): Promise<StoredCredential[]> {
  return db.select(infoColumns).from(credentials).where(eq(credentials.tenantId, tenantId));
}

export async function deleteCredential(db: ControlDb, tenantId: string, provider: Provider): Promise<boolean> {
  const rows = await db
    .delete(credentials)
    .where(and(eq(credentials.tenantId, tenantId), eq(credentials.provider, provider)))
    .returning({ provider: credentials.provider });
  return rows.length > 0;
}
