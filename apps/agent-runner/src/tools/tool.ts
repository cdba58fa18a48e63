import type Anthropic from '@anthropic-ai/sdk';
import type { TurnInput } from '@warren/ipc';
import { z } from 'zod';
import type { ProcessGroups } from './process-groups.ts';

/** What a tool may use: the sandbox's folders and the turn it runs in. */
export interface ToolContext {
  /** The workspace's real path (symlinks resolved), so confinement checks compare like with like. */
  workspace: string;
  ipcDir: string;
  turn: Pick<TurnInput, 'turnId' | 'tenantId' | 'conversationId' | 'limits'>;
  /** `send_message` outputs of this turn so far; the next one takes this number as its seq. */
  outputs: { sent: number };
  taskResponseTimeoutMs: number;
  /** Bash's process groups, killed when the runner stops. */
  processes: ProcessGroups;
}

export interface Tool {
  /** What the model sees: name, description, JSON schema of the input. */
  definition: Anthropic.Tool;
  /** Validates the model's input and runs; a thrown error becomes an `is_error` tool result. */
  run(input: unknown, context: ToolContext): Promise<string>;
}

/** A tool whose input schema the model sees is derived from the zod schema that validates it. */
export function defineTool<S extends z.ZodObject>(spec: {
  name: string;
  description: string;
  input: S;
  run(input: z.infer<S>, context: ToolContext): Promise<string>;
}): Tool {
  const { $schema: _dialect, ...inputSchema } = z.toJSONSchema(spec.input, { io: 'input' });
  return {
    definition: {
      name: spec.name,
      description: spec.description,
      input_schema: { ...inputSchema, type: 'object' },
    },
    async run(input, context) {
      const parsed = spec.input.safeParse(input);
      if (!parsed.success) throw new Error(`invalid input: ${z.prettifyError(parsed.error)}`);
      return spec.run(parsed.data, context);
    },
  };
}
