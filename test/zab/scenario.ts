// Scenario files for the zab core, in the manner of etcd raft's interaction tests: a text file of
// commands, each followed by `----` and the output it must produce. Run with UPDATE_GOLDEN=1 to
// rewrite the expected output from what the code does now (then read the diff before committing).
//
//   file    := block*
//   block   := comment* command '\n' '----' '\n' output-line* blank-line
//   comment := '#' text '\n'

import { readFileSync, writeFileSync } from 'node:fs';

export interface ScenarioBlock {
  comments: string[];
  command: string;
  expected: string[];
}

export function parseScenario(text: string): ScenarioBlock[] {
  const lines = text.split('\n');
  const blocks: ScenarioBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const comments: string[] = [];
    while (i < lines.length && (lines[i].startsWith('#') || lines[i].trim() === '')) {
      if (lines[i].startsWith('#')) comments.push(lines[i]);
      i++;
    }
    if (i >= lines.length) break;
    const command = lines[i++];
    if (lines[i] !== '----') throw new Error(`line ${i + 1}: expected ---- after ${JSON.stringify(command)}`);
    i++;
    const expected: string[] = [];
    while (i < lines.length && lines[i] !== '') expected.push(lines[i++]);
    blocks.push({ comments, command, expected });
  }
  return blocks;
}

export function formatScenario(blocks: ScenarioBlock[], outputs: string[][]): string {
  return blocks.map((b, k) => [...b.comments, b.command, '----', ...outputs[k]].join('\n')).join('\n\n') + '\n';
}

/**
 * Runs every block's command through `run` and compares its output with the file; returns the
 * differences (empty when all match). With UPDATE_GOLDEN=1 the file is rewritten instead.
 */
export function checkScenarioFile(path: string, run: (command: string) => string[]): string[] {
  const blocks = parseScenario(readFileSync(path, 'utf8'));
  return compareOrUpdate(path, blocks, blocks.map((b) => run(b.command)));
}

/** checkScenarioFile for a command runner that is asynchronous (the full-stack quorum scenarios). */
export async function checkScenarioFileAsync(path: string, run: (command: string) => Promise<string[]>): Promise<string[]> {
  const blocks = parseScenario(readFileSync(path, 'utf8'));
  const outputs: string[][] = [];
  for (const b of blocks) outputs.push(await run(b.command));
  return compareOrUpdate(path, blocks, outputs);
}

function compareOrUpdate(path: string, blocks: ScenarioBlock[], outputs: string[][]): string[] {
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(path, formatScenario(blocks, outputs));
    return [];
  }
  const diffs: string[] = [];
  blocks.forEach((b, k) => {
    const got = outputs[k].join('\n');
    const want = b.expected.join('\n');
    if (got !== want) diffs.push(`${b.command}\n--- expected\n${want}\n--- got\n${got}`);
  });
  return diffs;
}
