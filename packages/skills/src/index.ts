export { readSkillBundle, SKILL_LIMITS, type SkillBundle, SkillBundleError, type SkillFile, skillNameSchema } from './bundle.ts';
export { skillFolder } from './skill-folders.ts';
export {
  deleteSkill,
  latestSkillVersions,
  listSkills,
  SKILL_VERSIONS_KEPT,
  type SkillVersionInfo,
  saveSkillVersion,
  skillArchive,
  skillVersionsOf,
} from './skill-store.ts';
