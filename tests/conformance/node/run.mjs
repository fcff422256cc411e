// @nktkas/hyperliquid, unchanged, through every step a user takes, against a venue at
// HIP3_HTTP_URL / HIP3_WS_URL with the funded key HIP3_KEY. Prints one JSON object on stdout:
// {"client": ..., "steps": [{group, name, ok, error}, ...]}. Exit status 0 even when steps fail
// (the caller judges the steps); non-zero only when the script itself cannot run.
//
// Node 20 has a global WebSocket only with --experimental-websocket (node >= 22 has it always);
// the package declares node >= 22.12 but loads and works on 20 with that flag.

import * as hl from "@nktkas/hyperliquid";
import { privateKeyToAccount } from "viem/accounts";

import { Steps } from "./_steps.mjs";
import { exchangeSteps } from "./exchange.mjs";
import { infoSteps, accountInfoSteps } from "./info.mjs";
import { subscriptionSteps } from "./subscriptions.mjs";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const ctx = {
  httpUrl: env("HIP3_HTTP_URL"),
  wsUrl: env("HIP3_WS_URL"),
  wallet: privateKeyToAccount(env("HIP3_KEY")),
};
ctx.user = ctx.wallet.address.toLowerCase();
ctx.http = new hl.HttpTransport({ apiUrl: ctx.httpUrl, isTestnet: true });
ctx.info = new hl.InfoClient({ transport: ctx.http });
ctx.exchange = new hl.ExchangeClient({ transport: ctx.http, wallet: ctx.wallet });
ctx.ws = new hl.WebSocketTransport({ url: ctx.wsUrl, isTestnet: true, reconnect: { maxRetries: 0 } });
ctx.subs = new hl.SubscriptionClient({ transport: ctx.ws });

const steps = new Steps();
try {
  await infoSteps(steps, ctx); // market data, and the asset ids every later step uses
  await exchangeSteps(steps, ctx);
  await accountInfoSteps(steps, ctx); // what the trading left behind
  await subscriptionSteps(steps, ctx);
} finally {
  try {
    await ctx.ws.close();
  } catch {
    // already closed
  }
}
process.stdout.write(`${JSON.stringify({ client: "@nktkas/hyperliquid", steps: steps.results })}\n`);
process.exit(0); // a dangling keep-alive timer must not hold the process
