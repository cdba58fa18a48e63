export { readSkillBundle, SKILL_LIMITS, type SkillBundle, SkillBundleError, type SkillFile, skillNameSchema } from './bundle.ts';
export { skillFolder } from './skill-folders.ts';
export {
  deleteSkill,
  latestSkillArchives,
  listSkills,
  SKILL_VERSIONS_KEPT,
  type SkillVersionInfo,
  saveSkillVersion,
  skillVersionsOf,
} from './skill-store.ts';
