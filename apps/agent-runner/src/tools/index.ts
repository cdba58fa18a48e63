import { bashTool } from './bash.ts';
import { listFilesTool } from './list-files.ts';
import { readFileTool } from './read-file.ts';
import { sendMessageTool } from './send-message.ts';
import { taskTools } from './tasks.ts';
import type { Tool } from './tool.ts';
import { writeFileTool } from './write-file.ts';

export { ProcessGroups } from './process-groups.ts';
export type { Tool, ToolContext } from './tool.ts';

/** Every tool the model is offered, by name. */
export const tools: ReadonlyMap<string, Tool> = new Map(
  [bashTool, readFileTool, writeFileTool, listFilesTool, sendMessageTool, ...taskTools].map((tool) => [tool.definition.name, tool]),
);
