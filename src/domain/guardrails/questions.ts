/**
 * Counts the questions in a bot reply. The product plan allows at most two per reply: more reads
 * as an interrogation on WhatsApp. Pure: no I/O; reports, never rewrites.
 */

export type QuestionReport = {
  count: number;
  max: number;
  /** How many questions over the limit (0 when within it). */
  excess: number;
  isWithinLimit: boolean;
  /** The questions past the limit, in order, as written. */
  extraQuestions: string[];
};

/** A '?' inside a link is a query string, not a question. */
const URL = /\bhttps?:\/\/\S+|\bwww\.\S+/gi;

/**
 * A question: the text since the last sentence end, then one run of '?' and '!' holding at
 * least one '?' ("Sério?!", "Como assim??", "É isso!?" and "Hein ? ?" are one question each).
 */
const QUESTION = /[^.!?\n]*!*\?(?:\s*[?!])*/g;

export function findQuestions(reply: string): string[] {
  const withoutLinks = reply.replace(URL, (link) => ' '.repeat(link.length));
  return [...withoutLinks.matchAll(QUESTION)].map((match) =>
    reply.slice(match.index, match.index + match[0].length).trim(),
  );
}

export function countQuestions(reply: string): number {
  return findQuestions(reply).length;
}

export function limitQuestions(reply: string, max: number): QuestionReport {
  const questions = findQuestions(reply);
  const excess = Math.max(0, questions.length - max);
  return {
    count: questions.length,
    max,
    excess,
    isWithinLimit: excess === 0,
    extraQuestions: questions.slice(max),
  };
}
