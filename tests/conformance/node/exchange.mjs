// ExchangeClient steps: every kind of order, then amending, cancelling, leverage and margin,
// transfers, an agent and a builder. Leaves behind what accountInfoSteps reads: a BTC position,
// one resting BTC order (ctx.restingOid), a trigger order, fills, an agent, a sub-account.

import * as hl from "@nktkas/hyperliquid";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { cloid, expect, price } from "./_steps.mjs";

const GROUP = "exchange";
const OTHER = "0x000000000000000000000000000000000000c0de"; // a destination for transfers

export async function exchangeSteps(steps, ctx) {
  const { exchange, info, user } = ctx;
  const step = (name, fn) => steps.run(GROUP, name, fn);
  const market = (coin) => {
    const m = ctx.markets[coin];
    if (!m || !m.mid) throw new Error(`no market data for ${coin} (an earlier info step failed)`);
    return m;
  };
  const px = (coin, factor) => {
    const m = market(coin);
    return price(m.mid * factor, m.szDecimals, m.maxDecimals);
  };
  // The smallest size worth at least $12 at `p` (the venue's minimum order value is $10).
  const size = (coin, p) => {
    const unit = 10 ** market(coin).szDecimals;
    return String(Math.ceil((12 / Number(p)) * unit) / unit);
  };
  const limit = (coin, isBuy, factor, tif, extra = {}) => {
    const p = px(coin, factor);
    return { a: market(coin).asset, b: isBuy, p, s: size(coin, p), r: false, t: { limit: { tif } }, ...extra };
  };
  const place = async (order, grouping = "na", client = exchange) => {
    const answer = await client.order({ orders: [order], grouping });
    expect(answer.status === "ok" && answer.response.type === "order", "an order answer");
    return answer.response.data.statuses[0];
  };
  const openOrder = async (predicate) => (await info.frontendOpenOrders({ user })).find(predicate);

  // -- placing orders --
  await step("order: limit Gtc rests", async () => {
    const status = await place(limit("BTC", true, 0.5, "Gtc"));
    expect(typeof status.resting?.oid === "number", `resting (got ${JSON.stringify(status)})`);
    ctx.restingOid = status.resting.oid;
  });
  await step("order: limit with a cloid rests", async () => {
    // High bits set on purpose: the client reads a cloid that fits a safe integer as a number
    // (orderStatus would then ask for oid 12648430 rather than the cloid).
    ctx.cloid = cloid(0xc0ffeen << 104n | 0xc0ffeen);
    const status = await place(limit("BTC", true, 0.6, "Gtc", { c: ctx.cloid }));
    expect(status.resting?.cloid === ctx.cloid, `resting with its cloid (got ${JSON.stringify(status)})`);
  });
  await step("order: Alo rests", async () => {
    const status = await place(limit("ETH", true, 0.7, "Alo"));
    expect(typeof status.resting?.oid === "number", `resting (got ${JSON.stringify(status)})`);
    ctx.aloOid = status.resting.oid;
  });
  await step("order: Ioc crossing fills", async () => {
    const status = await place(limit("BTC", true, 1.02, "Ioc"));
    expect(Number(status.filled?.totalSz) > 0 && Number(status.filled.avgPx) > 0, `filled (got ${JSON.stringify(status)})`);
  });
  await step("order: market (FrontendMarket) fills", async () => {
    const status = await place(limit("ETH", true, 1.02, "FrontendMarket"));
    expect(Number(status.filled?.totalSz) > 0, `filled (got ${JSON.stringify(status)})`);
  });
  await step("order: stop-loss trigger rests", async () => {
    const p = px("BTC", 0.7);
    const status = await place({
      a: market("BTC").asset, b: false, p, s: size("BTC", px("BTC", 1.02)), r: true,
      t: { trigger: { isMarket: true, triggerPx: p, tpsl: "sl" } },
    });
    expect(status.resting !== undefined || status === "waitingForTrigger", `resting (got ${JSON.stringify(status)})`);
  });
  await step("order: normalTpsl parent with tp and sl", async () => {
    const parent = limit("SOL", true, 0.8, "Gtc");
    const tp = px("SOL", 1.2);
    const sl = px("SOL", 0.6);
    const child = (p, tpsl) => ({
      a: parent.a, b: false, p, s: parent.s, r: true, t: { trigger: { isMarket: true, triggerPx: p, tpsl } },
    });
    const answer = await exchange.order({ orders: [parent, child(tp, "tp"), child(sl, "sl")], grouping: "normalTpsl" });
    const statuses = answer.response.data.statuses;
    expect(statuses.length === 3 && statuses[0].resting, `a resting parent (got ${JSON.stringify(statuses)})`);
    await exchange.cancel({ cancels: [{ a: parent.a, o: statuses[0].resting.oid }] });
  });
  await step("order on a HIP-3 dex fills", async () => {
    const status = await place(limit(ctx.hip3Coin, true, 1.02, "Ioc"));
    expect(Number(status.filled?.totalSz) > 0, `filled (got ${JSON.stringify(status)})`);
  });
  await step("order: spot buy fills", async () => {
    const status = await place(limit("HYPE/USDC", true, 1.02, "Ioc"));
    expect(Number(status.filled?.totalSz) > 0, `filled (got ${JSON.stringify(status)})`);
  });

  // -- amending and cancelling --
  await step("modify", async () => {
    const order = limit("ETH", true, 0.71, "Alo");
    await exchange.modify({ oid: ctx.aloOid, order });
    const now = await openOrder((o) => o.coin === "ETH" && o.limitPx === order.p);
    expect(now, "the order at its new price");
    ctx.aloOid = now.oid;
  });
  await step("batchModify", async () => {
    const order = limit("ETH", true, 0.72, "Alo");
    const answer = await exchange.batchModify({ modifies: [{ oid: ctx.aloOid, order }] });
    const [status] = answer.response.data.statuses;
    expect(typeof status.resting?.oid === "number", `resting (got ${JSON.stringify(status)})`);
    ctx.aloOid = status.resting.oid;
  });
  await step("cancel", async () => {
    const answer = await exchange.cancel({ cancels: [{ a: market("ETH").asset, o: ctx.aloOid }] });
    expect(answer.response.data.statuses[0] === "success", "success");
    expect(!(await openOrder((o) => o.oid === ctx.aloOid)), "no longer open");
  });
  await step("cancelByCloid", async () => {
    const answer = await exchange.cancelByCloid({ cancels: [{ asset: market("BTC").asset, cloid: ctx.cloid }] });
    expect(answer.response.data.statuses[0] === "success", "success");
  });
  await step("scheduleCancel set", async () => {
    const answer = await exchange.scheduleCancel({ time: Date.now() + 60_000 });
    expect(answer.response.type === "default", "default");
  });
  await step("scheduleCancel unset", async () => {
    const answer = await exchange.scheduleCancel();
    expect(answer.response.type === "default", "default");
  });

  // -- leverage and margin --
  await step("updateLeverage cross", async () => {
    await exchange.updateLeverage({ asset: market("BTC").asset, isCross: true, leverage: 5 });
  });
  await step("updateLeverage isolated", async () => {
    await exchange.updateLeverage({ asset: market("SOL").asset, isCross: false, leverage: 3 });
    await place(limit("SOL", true, 1.02, "Ioc"));
  });
  await step("updateIsolatedMargin", async () => {
    await exchange.updateIsolatedMargin({ asset: market("SOL").asset, isBuy: true, ntli: 5 * 1e6 });
    const state = await info.clearinghouseState({ user });
    const sol = state.assetPositions.find((p) => p.position.coin === "SOL");
    expect(sol?.position.leverage.type === "isolated", "an isolated SOL position");
  });

  // -- transfers --
  await step("usdSend", async () => {
    await exchange.usdSend({ destination: OTHER, amount: "1" });
  });
  await step("usdClassTransfer perp to spot", async () => {
    await exchange.usdClassTransfer({ amount: "2", toPerp: false });
  });
  await step("usdClassTransfer spot to perp", async () => {
    await exchange.usdClassTransfer({ amount: "1", toPerp: true });
  });
  await step("spotSend", async () => {
    await exchange.spotSend({ destination: OTHER, token: ctx.usdcToken, amount: "1" });
  });
  await step("sendAsset to a HIP-3 dex", async () => {
    await exchange.sendAsset({
      destination: user, sourceDex: "", destinationDex: ctx.hip3Dex, token: ctx.usdcToken, amount: "3",
    });
    // (The dex's withdrawable moves with its position's mark too: read the ledger.)
    const ledger = await info.userNonFundingLedgerUpdates({ user, startTime: Date.now() - 60_000 });
    const sent = ledger.filter((u) => u.delta.type === "send" && u.delta.destinationDex === ctx.hip3Dex);
    expect(sent.length === 1 && Number(sent[0].delta.amount) === 3, `a send of 3 to ${ctx.hip3Dex}`);
  });
  await step("withdraw3", async () => {
    await exchange.withdraw3({ destination: user, amount: "2" });
  });
  await step("createSubAccount", async () => {
    const answer = await exchange.createSubAccount({ name: "conform-sub" });
    expect(/^0x[0-9a-f]{40}$/.test(answer.response.data), "the sub-account's address");
    ctx.subAccount = answer.response.data;
  });
  await step("subAccountTransfer", async () => {
    await exchange.subAccountTransfer({ subAccountUser: ctx.subAccount, isDeposit: true, usd: 10 * 1e6 });
  });
  await step("subAccountSpotTransfer", async () => {
    await exchange.subAccountSpotTransfer({
      subAccountUser: ctx.subAccount, isDeposit: true, token: ctx.usdcToken, amount: "1",
    });
    const state = await info.spotClearinghouseState({ user: ctx.subAccount });
    expect(state.balances.some((b) => b.coin === "USDC" && Number(b.total) === 1), "1 USDC in its spot wallet");
  });
  await step("setReferrer", async () => {
    await exchange.setReferrer({ code: "CONFORM" });
  });

  // -- account abstraction (left "disabled": perp and spot money apart) --
  await step("userSetAbstraction", async () => {
    await exchange.userSetAbstraction({ user, abstraction: "unifiedAccount" });
    expect((await info.userAbstraction({ user })) === "unifiedAccount", "unifiedAccount");
  });
  await step("agentSetAbstraction", async () => {
    await exchange.agentSetAbstraction({ abstraction: "i" });
    expect((await info.userAbstraction({ user })) === "disabled", "disabled");
  });
  await step("agentEnableDexAbstraction", async () => {
    await exchange.agentEnableDexAbstraction();
    expect((await info.userDexAbstraction({ user })) === true, "dex abstraction on");
  });
  await step("userDexAbstraction", async () => {
    await exchange.userDexAbstraction({ user, enabled: false });
    expect((await info.userDexAbstraction({ user })) === false, "dex abstraction off");
  });

  // -- an agent and a builder --
  await step("approveAgent", async () => {
    const agent = privateKeyToAccount(generatePrivateKey());
    await exchange.approveAgent({ agentAddress: agent.address, agentName: "conform" });
    ctx.agent = agent;
  });
  await step("order signed by the agent", async () => {
    const client = new hl.ExchangeClient({ transport: ctx.http, wallet: ctx.agent });
    const status = await place(limit("BTC", true, 1.02, "Ioc"), "na", client);
    expect(Number(status.filled?.totalSz) > 0, `filled for the master (got ${JSON.stringify(status)})`);
  });
  await step("approveBuilderFee", async () => {
    ctx.builder = "0x000000000000000000000000000000000000b11d";
    await exchange.approveBuilderFee({ maxFeeRate: "0.01%", builder: ctx.builder });
  });
  await step("order with a builder fee", async () => {
    const answer = await exchange.order({
      orders: [limit("BTC", true, 1.02, "Ioc")], grouping: "na", builder: { b: ctx.builder, f: 10 },
    });
    expect(Number(answer.response.data.statuses[0].filled?.totalSz) > 0, "filled");
  });

  // -- the same client over the websocket transport (post requests) --
  await step("order posted over the websocket", async () => {
    const client = new hl.ExchangeClient({ transport: ctx.ws, wallet: ctx.wallet });
    const status = await place(limit("BTC", true, 1.02, "Ioc"), "na", client);
    expect(Number(status.filled?.totalSz) > 0, `filled (got ${JSON.stringify(status)})`);
  });
  await step("info posted over the websocket", async () => {
    const book = await new hl.InfoClient({ transport: ctx.ws }).l2Book({ coin: "BTC" });
    expect(book.coin === "BTC" && book.levels[0].length > 0, "a BTC book");
  });
}
