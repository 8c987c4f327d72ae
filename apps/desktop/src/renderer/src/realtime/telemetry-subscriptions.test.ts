import type { Ack, LiveReading, SubscriptionResult } from '@tidewatch/shared';
import { describe, expect, it } from 'vitest';
import {
  TelemetrySubscriptions,
  type LiveStatus,
  type TelemetryRequests,
} from './telemetry-subscriptions.ts';

/** A socket's requests as sent, with their answers held until the test gives them. */
function fakeRequests() {
  const subscribed: number[][] = [];
  const unsubscribed: number[][] = [];
  const answers: ((ack: Ack<SubscriptionResult>) => void)[] = [];
  const requests: TelemetryRequests = {
    subscribe: (seriesIds, answer) => {
      subscribed.push(seriesIds);
      answers.push(answer);
    },
    unsubscribe: (seriesIds) => {
      unsubscribed.push(seriesIds);
    },
  };
  const answerAll = (refused: number[] = []) => {
    for (const answer of answers.splice(0)) answer({ ok: true, data: { subscribed: [], refused } });
  };
  return { requests, subscribed, unsubscribed, answerAll };
}

function recorder() {
  const readings: LiveReading[][] = [];
  const statuses: LiveStatus[] = [];
  return {
    readings,
    statuses,
    listener: {
      onReadings: (batch: readonly LiveReading[]) => {
        readings.push([...batch]);
      },
      onStatus: (status: LiveStatus) => {
        statuses.push(status);
      },
    },
  };
}

describe('TelemetrySubscriptions', () => {
  it('subscribes once the session is ready, says live on the answer, and hands each view its own series', () => {
    const subscriptions = new TelemetrySubscriptions();
    const trend = recorder();
    const other = recorder();
    subscriptions.follow([7, 8], trend.listener);
    subscriptions.follow([9], other.listener);
    const socket = fakeRequests();

    subscriptions.connected(socket.requests);
    expect(socket.subscribed).toEqual([[7, 8, 9]]);
    socket.answerAll([8]);
    subscriptions.deliver({
      readings: [
        [7, 1000, 1.5],
        [9, 1000, 3],
      ],
    });

    expect(trend.statuses.at(-1)).toEqual({ kind: 'live', refused: [8] });
    expect(trend.readings).toEqual([[[7, 1000, 1.5]]]);
    expect(other.readings).toEqual([[[9, 1000, 3]]]);
  });

  it('asks only for series no view follows yet, and unsubscribes a series when its last view stops', () => {
    const subscriptions = new TelemetrySubscriptions();
    const socket = fakeRequests();
    subscriptions.connected(socket.requests);
    const first = recorder();
    const second = recorder();
    const stopFirst = subscriptions.follow([1, 2], first.listener);
    socket.answerAll();
    const stopSecond = subscriptions.follow([2, 3], second.listener);
    socket.answerAll();

    expect(socket.subscribed).toEqual([[1, 2], [3]]);
    expect(second.statuses.at(-1)).toEqual({ kind: 'live', refused: [] });
    stopFirst();
    expect(socket.unsubscribed).toEqual([[1]]);
    stopSecond();
    expect(socket.unsubscribed).toEqual([[1], [2, 3]]);
    subscriptions.deliver({ readings: [[2, 1, 1]] });
    expect(second.readings).toEqual([]);
  });

  it('subscribes everything again on a new connection, and ignores answers of the old one', () => {
    const subscriptions = new TelemetrySubscriptions();
    const trend = recorder();
    subscriptions.follow([4], trend.listener);
    const before = fakeRequests();
    subscriptions.connected(before.requests);
    subscriptions.disconnected();
    expect(trend.statuses.at(-1)).toEqual({ kind: 'connecting' });

    const after = fakeRequests();
    subscriptions.connected(after.requests);
    before.answerAll([4]);
    expect(trend.statuses.at(-1)).toEqual({ kind: 'connecting' });
    after.answerAll();
    expect(after.subscribed).toEqual([[4]]);
    expect(trend.statuses.at(-1)).toEqual({ kind: 'live', refused: [] });
  });

  it('tells the view when the server refuses the request', () => {
    const subscriptions = new TelemetrySubscriptions();
    const socket = fakeRequests();
    const answers: ((ack: Ack<SubscriptionResult>) => void)[] = [];
    subscriptions.connected({ ...socket.requests, subscribe: (_ids, answer) => answers.push(answer) });
    const trend = recorder();
    subscriptions.follow([5], trend.listener);
    answers[0]?.({
      ok: false,
      problem: { type: 'urn:tidewatch:problem:forbidden', title: 'Forbidden', status: 403 },
    });
    expect(trend.statuses.at(-1)).toEqual({ kind: 'failed', message: 'Forbidden' });
  });
});
