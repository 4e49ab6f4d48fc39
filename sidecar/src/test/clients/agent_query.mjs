// Runs one query with the Claude Agent SDK for the client ITs and prints its result message as one JSON line.
// usage: node agent_query.mjs MODEL PROMPT CWD; ANTHROPIC_BASE_URL and the rest come from the environment.
// The SDK runs the Claude Code binary it bundles (@anthropic-ai/claude-agent-sdk-<platform>).
import { load } from './resolve.mjs';

const { query } = await load('@anthropic-ai/claude-agent-sdk');
const [model, prompt, cwd] = process.argv.slice(2);
let result = null;
for await (const m of query({ prompt, options: { model, cwd, maxTurns: 1, env: { ...process.env } } })) {
  if (m.type === 'result') result = m;
}
console.log(JSON.stringify(result));
