import { AppError } from '@warren/core';
import { type Pool, withTenant } from '@warren/db';
import {
  deleteSkill,
  listSkills,
  readSkillBundle,
  SKILL_LIMITS,
  SKILL_VERSIONS_KEPT,
  SkillBundleError,
  type SkillVersionInfo,
  saveSkillVersion,
  skillNameSchema,
  skillVersionsOf,
} from '@warren/skills';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const skillParams = z.strictObject({ name: skillNameSchema });
const skillVersionSchema = z.object({
  name: z.string(),
  version: z.number().int(),
  description: z.string(),
  bytes: z.number().int(),
  files: z.number().int(),
  createdAt: z.iso.datetime(),
});
const toSkillVersion = (v: SkillVersionInfo) => ({ ...v, createdAt: v.createdAt.toISOString() });

/** What an upload may be sent as: the bundle's bytes, a tar or a gzipped tar. */
const BUNDLE_TYPES = ['application/x-tar', 'application/gzip', 'application/octet-stream'];

/** A tenant's skill bundles (Agent Skills layout): uploaded as tar, versioned, bound read-only into sandboxes of assistants that enable them. */
export const skillRoutes: FastifyPluginAsyncZod<{ pool: Pool; maxUploadBytes: number; maxSkills: number }> = async (
  app,
  { pool, maxUploadBytes, maxSkills },
) => {
  const tags = ['skills'];
  app.addContentTypeParser(BUNDLE_TYPES, { parseAs: 'buffer', bodyLimit: maxUploadBytes }, (_request, body, done) => done(null, body));

  app.put(
    '/v1/skills/:name',
    {
      schema: {
        tags,
        summary: 'Upload a new version of a skill',
        description:
          `The body is a tar (or gzipped tar, ${BUNDLE_TYPES.join(', ')}) of the skill folder: SKILL.md at its top with front matter ` +
          `\`name\` (the name in the path) and \`description\`, plus any files. Regular files and folders only; at most ` +
          `${maxUploadBytes} bytes uploaded, ${SKILL_LIMITS.bytes} unpacked, ${SKILL_LIMITS.files} files. Each upload is a new ` +
          `version; the ${SKILL_VERSIONS_KEPT} newest are kept. A tenant holds at most ${maxSkills} skills (409 beyond).`,
        params: skillParams,
        response: { 201: skillVersionSchema },
      },
    },
    async (request, reply) => {
      if (!Buffer.isBuffer(request.body)) {
        // another type's parser (JSON, text) read it, or there was no body at all
        const kind = request.headers['content-type'] ? 'unsupported_media_type' : 'validation';
        throw new AppError(kind, `send the bundle as ${BUNDLE_TYPES.join(' or ')}`);
      }
      let bundle: Awaited<ReturnType<typeof readSkillBundle>>;
      try {
        bundle = await readSkillBundle(request.body);
      } catch (err) {
        if (err instanceof SkillBundleError) throw new AppError('validation', err.message);
        throw err;
      }
      if (bundle.name !== request.params.name)
        throw new AppError('validation', `SKILL.md names the skill ${bundle.name}, the path ${request.params.name}`);
      const body = request.body;
      const saved = await withTenant(pool, request.tenantId, (tx) => saveSkillVersion(tx, bundle, body, maxSkills));
      return reply.code(201).send(toSkillVersion(saved));
    },
  );

  app.get(
    '/v1/skills',
    {
      schema: {
        tags,
        summary: "List this tenant's skills at their latest version",
        response: { 200: z.object({ data: z.array(skillVersionSchema) }) },
      },
    },
    async (request) => ({ data: (await withTenant(pool, request.tenantId, listSkills)).map(toSkillVersion) }),
  );

  app.get(
    '/v1/skills/:name',
    {
      schema: {
        tags,
        summary: "A skill's kept versions, newest first",
        params: skillParams,
        response: { 200: z.object({ name: z.string(), versions: z.array(skillVersionSchema) }) },
      },
    },
    async (request) => ({
      name: request.params.name,
      versions: (await withTenant(pool, request.tenantId, (tx) => skillVersionsOf(tx, request.params.name))).map(toSkillVersion),
    }),
  );

  app.delete(
    '/v1/skills/:name',
    { schema: { tags, summary: 'Delete a skill and all its versions', params: skillParams, response: { 204: z.null() } } },
    async (request, reply) => {
      await withTenant(pool, request.tenantId, (tx) => deleteSkill(tx, request.params.name));
      return reply.code(204).send(null);
    },
  );
};
