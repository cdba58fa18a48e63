import { AppError, notFound } from '@warren/core';
import { type TenantTx, tenantSchema } from '@warren/db';
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { SkillBundle } from './bundle.ts';

const { skills, skillVersions } = tenantSchema;

/** Versions kept per skill: the oldest goes when an upload would exceed it (a conversation's sandbox uses the latest). */
export const SKILL_VERSIONS_KEPT = 10;

export interface SkillVersionInfo {
  name: string;
  version: number;
  description: string;
  bytes: number;
  files: number;
  createdAt: Date;
}

const info = {
  name: skillVersions.name,
  version: skillVersions.version,
  description: skillVersions.description,
  bytes: skillVersions.bytes,
  files: skillVersions.files,
  createdAt: skillVersions.createdAt,
};

/**
 * Stores an upload as the next version of its skill (the name is the bundle's own, from SKILL.md).
 * A tenant holds at most `maxSkills` skills; the tenant's skills row is locked so concurrent
 * uploads cannot overshoot it or take the same version.
 */
export async function saveSkillVersion(tx: TenantTx, bundle: SkillBundle, archive: Buffer, maxSkills: number): Promise<SkillVersionInfo> {
  await tx.client.query(`SELECT pg_advisory_xact_lock(hashtextextended('warren.skills.' || current_schema(), 0))`);
  const [existing] = await tx.db.select().from(skills).where(eq(skills.name, bundle.name));
  if (!existing) {
    const { rows } = await tx.client.query<{ n: number }>('SELECT count(*)::int AS n FROM skills');
    if (rows[0]!.n >= maxSkills)
      throw new AppError('conflict', `this tenant holds its maximum of ${maxSkills} skills; delete one first`, { limit: maxSkills });
  }
  const version = (existing?.latestVersion ?? 0) + 1;
  await tx.db
    .insert(skills)
    .values({ name: bundle.name, latestVersion: version })
    .onConflictDoUpdate({ target: skills.name, set: { latestVersion: version, updatedAt: new Date() } });
  const [row] = await tx.db
    .insert(skillVersions)
    .values({ name: bundle.name, version, description: bundle.description, bytes: bundle.bytes, files: bundle.files.length, archive })
    .returning(info);
  await tx.client.query('DELETE FROM skill_versions WHERE name = $1 AND version <= $2', [bundle.name, version - SKILL_VERSIONS_KEPT]);
  return row!;
}

/** Every skill at its latest version, by name. */
export function listSkills(tx: TenantTx): Promise<SkillVersionInfo[]> {
  return tx.db
    .select(info)
    .from(skillVersions)
    .innerJoin(skills, and(eq(skills.name, skillVersions.name), eq(skills.latestVersion, skillVersions.version)))
    .orderBy(asc(skillVersions.name));
}

/** A skill's kept versions, newest first. */
export async function skillVersionsOf(tx: TenantTx, name: string): Promise<SkillVersionInfo[]> {
  const rows = await tx.db.select(info).from(skillVersions).where(eq(skillVersions.name, name)).orderBy(desc(skillVersions.version));
  if (rows.length === 0) throw notFound('skill');
  return rows;
}

export async function deleteSkill(tx: TenantTx, name: string): Promise<void> {
  const deleted = await tx.db.delete(skills).where(eq(skills.name, name)).returning({ name: skills.name });
  if (deleted.length === 0) throw notFound('skill');
}

/** The latest version's archive of each named skill that exists (an enabled skill since deleted is left out). */
export async function latestSkillArchives(
  tx: TenantTx,
  names: string[],
): Promise<Array<{ name: string; version: number; description: string; archive: Buffer }>> {
  if (names.length === 0) return [];
  return tx.db
    .select({
      name: skillVersions.name,
      version: skillVersions.version,
      description: skillVersions.description,
      archive: skillVersions.archive,
    })
    .from(skillVersions)
    .innerJoin(skills, and(eq(skills.name, skillVersions.name), eq(skills.latestVersion, skillVersions.version)))
    .where(inArray(skillVersions.name, names))
    .orderBy(asc(skillVersions.name));
}
