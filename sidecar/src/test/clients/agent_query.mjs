// Runs one query with the Claude Agent SDK for the client ITs and prints, as one JSON line, its result message and
// the error the query ended with, if any (the SDK yields an error result and then throws).
// usage: node agent_query.mjs MODEL PROMPT CWD (MODEL "": Claude Code's default); ANTHROPIC_BASE_URL and the rest
// come from the environment.
// The SDK runs the Claude Code binary it bundles (@anthropic-ai/claude-agent-sdk-<platform>).
import { load } from './resolve.mjs';

const { query } = await load('@anthropic-ai/claude-agent-sdk');
const [model, prompt, cwd] = process.argv.slice(2);
let result = null;
let error = null;
try {
  const options = { model: model || undefined, cwd, maxTurns: 1, env: { ...process.env } };
  for await (const m of query({ prompt, options })) {
    if (m.type === 'result') result = m;
  }
} catch (e) {
  error = String(e?.message ?? e);
}
console.log(JSON.stringify({ result, error }));
