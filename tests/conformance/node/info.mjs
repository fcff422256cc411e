// InfoClient steps. `infoSteps` runs first (market data; it also records the asset ids and
// prices the trading steps use in ctx.markets); `accountInfoSteps` runs after the trading steps
// and reads back what they left.

import { eventually, expect } from "./_steps.mjs";

const GROUP = "info";

export async function infoSteps(steps, ctx) {
  const { info } = ctx;
  const step = (name, fn) => steps.run(GROUP, name, fn);
  ctx.markets = {};

  const meta = await step("meta", async () => {
    const meta = await info.meta();
    expect(meta.universe.some((a) => a.name === "BTC"), "BTC in meta.universe");
    expect(Array.isArray(meta.marginTables), "meta.marginTables is a list");
    return meta;
  });
  const dexes = await step("perpDexs", async () => {
    const dexes = await info.perpDexs();
    expect(dexes[0] === null, "the first perp dex is the default one (null)");
    expect(dexes.slice(1).every((d) => typeof d.name === "string" && typeof d.deployer === "string"),
      "each builder dex has a name and deployer");
    return dexes;
  });
  const hip3 = await step("meta of a HIP-3 dex", async () => {
    const dex = dexes?.[1]?.name ?? "xyz";
    const meta = await info.meta({ dex });
    expect(meta.universe.every((a) => a.name.startsWith(`${dex}:`)), "coins named dex:COIN");
    return { dex, index: 1, meta };
  });
  const spot = await step("spotMeta", async () => {
    const spot = await info.spotMeta();
    expect(spot.tokens[0].name === "USDC", "USDC is token 0");
    expect(spot.universe.every((p) => p.tokens.length === 2 && p.name), "pairs of two tokens");
    return spot;
  });
  if (meta) {
    meta.universe.forEach((asset, index) => {
      ctx.markets[asset.name] = { asset: index, szDecimals: asset.szDecimals, maxDecimals: 6 };
    });
  }
  if (hip3) {
    hip3.meta.universe.forEach((asset, index) => {
      ctx.markets[asset.name] = {
        asset: 100000 + 10000 * hip3.index + index,
        szDecimals: asset.szDecimals,
        maxDecimals: 6,
      };
    });
    ctx.hip3Coin = hip3.meta.universe[0].name;
    ctx.hip3Dex = hip3.dex;
  }
  if (spot) {
    for (const pair of spot.universe) {
      const base = spot.tokens[pair.tokens[0]];
      ctx.markets[pair.name] = { asset: 10000 + pair.index, szDecimals: base.szDecimals, maxDecimals: 8 };
      ctx.markets[`${base.name}/USDC`] = ctx.markets[pair.name];
    }
    ctx.usdcToken = `USDC:${spot.tokens[0].tokenId}`;
  }

  await step("metaAndAssetCtxs", async () => {
    const [meta, ctxs] = await info.metaAndAssetCtxs();
    expect(meta.universe.length === ctxs.length, "one ctx per asset");
    expect(ctxs.every((c) => Number(c.markPx) > 0 && typeof c.funding === "string"), "markPx, funding");
  });
  await step("spotMetaAndAssetCtxs", async () => {
    const [meta, ctxs] = await info.spotMetaAndAssetCtxs();
    expect(meta.universe.length === ctxs.length, "one ctx per pair");
    expect(ctxs.every((c) => typeof c.coin === "string" && Number(c.markPx) > 0), "coin, markPx");
  });
  await step("allMids", async () => {
    const mids = await info.allMids();
    expect(Number(mids.BTC) > 0, "a BTC mid");
    for (const [coin, market] of Object.entries(ctx.markets)) {
      if (coin in mids) market.mid = Number(mids[coin]);
    }
  });
  await step("allMids of a HIP-3 dex", async () => {
    const mids = await info.allMids({ dex: ctx.hip3Dex });
    expect(Number(mids[ctx.hip3Coin]) > 0, `a ${ctx.hip3Coin} mid`);
    ctx.markets[ctx.hip3Coin].mid = Number(mids[ctx.hip3Coin]);
  });
  await step("l2Book", async () => {
    const book = await info.l2Book({ coin: "BTC" });
    const [bids, asks] = book.levels;
    expect(book.coin === "BTC" && typeof book.time === "number", "coin and time");
    expect(bids.length > 0 && asks.length > 0, "both sides");
    expect(Number(bids[0].px) < Number(asks[0].px), "bid below ask");
    expect(bids.every((l) => typeof l.n === "number" && Number(l.sz) > 0), "levels of px, sz, n");
  });
  await step("l2Book with nSigFigs", async () => {
    const book = await info.l2Book({ coin: "BTC", nSigFigs: 2 });
    const [bids, asks] = book.levels;
    expect(bids.length > 0 && asks.length > 0, "both sides");
    expect(bids.every((l) => Number(Number(l.px).toPrecision(2)) === Number(l.px)), "2 figures");
  });
  await step("exchangeStatus", async () => {
    const status = await info.exchangeStatus();
    expect(typeof status.time === "number", "time");
  });
  await step("predictedFundings", async () => {
    const predicted = await info.predictedFundings();
    const btc = predicted.find(([coin]) => coin === "BTC");
    expect(btc && btc[1].length > 0, "BTC predictions by venue");
    expect(btc[1].every(([venue, p]) => typeof venue === "string" && (p === null || typeof p.fundingRate === "string")),
      "[venue, {fundingRate, nextFundingTime}] pairs");
  });
  await step("perpsAtOpenInterestCap", async () => {
    expect(Array.isArray(await info.perpsAtOpenInterestCap()), "a list of coins");
  });
  await step("allPerpMetas", async () => {
    const metas = await info.allPerpMetas();
    expect(metas.length === (dexes?.length ?? 0), "one meta per perp dex");
  });
  await step("perpDexLimits", async () => {
    const limits = await info.perpDexLimits({ dex: ctx.hip3Dex });
    expect(typeof limits.totalOiCap === "string", "totalOiCap");
  });
}

export async function accountInfoSteps(steps, ctx) {
  const { info, user } = ctx;
  const step = (name, fn) => steps.run(GROUP, name, fn);
  const day = 24 * 60 * 60 * 1000;

  await step("clearinghouseState", async () => {
    const state = await info.clearinghouseState({ user });
    expect(Number(state.marginSummary.accountValue) > 0, "an account value");
    expect(state.assetPositions.some((p) => p.position.coin === "BTC"), "the BTC position");
    expect(typeof state.withdrawable === "string" && typeof state.time === "number", "withdrawable, time");
  });
  await step("clearinghouseState of a HIP-3 dex", async () => {
    const state = await info.clearinghouseState({ user, dex: ctx.hip3Dex });
    expect(state.assetPositions.some((p) => p.position.coin === ctx.hip3Coin), "the HIP-3 position");
  });
  await step("spotClearinghouseState", async () => {
    const state = await info.spotClearinghouseState({ user });
    const usdc = state.balances.find((b) => b.coin === "USDC");
    expect(usdc && Number(usdc.total) > 0, "a USDC balance");
    expect(state.balances.some((b) => b.coin === "HYPE"), "the HYPE bought");
  });
  await step("openOrders", async () => {
    const orders = await info.openOrders({ user });
    expect(orders.some((o) => o.oid === ctx.restingOid), "the order left resting");
  });
  await step("frontendOpenOrders", async () => {
    const orders = await info.frontendOpenOrders({ user });
    const order = orders.find((o) => o.oid === ctx.restingOid);
    expect(order && order.orderType === "Limit" && order.tif === "Gtc", "orderType, tif");
    expect(orders.some((o) => o.isTrigger && o.triggerPx), "a trigger order");
  });
  await step("userFills", async () => {
    const fills = await info.userFills({ user });
    expect(fills.some((f) => f.coin === "BTC"), "a BTC fill");
    expect(fills.every((f) => typeof f.tid === "number" && typeof f.hash === "string"), "tid, hash");
  });
  await step("userFills aggregated by time", async () => {
    const fills = await info.userFills({ user, aggregateByTime: true });
    expect(fills.length > 0, "fills");
  });
  await step("userFillsByTime", async () => {
    const fills = await info.userFillsByTime({ user, startTime: Date.now() - day });
    expect(fills.some((f) => f.coin === "BTC"), "a BTC fill");
  });
  await step("orderStatus by oid", async () => {
    const status = await info.orderStatus({ user, oid: ctx.restingOid });
    expect(status.status === "order" && status.order.status === "open", "an open order");
    expect(status.order.order.oid === ctx.restingOid, "the same oid");
  });
  await step("orderStatus by cloid", async () => {
    const status = await info.orderStatus({ user, oid: ctx.cloid });
    expect(status.status === "order" && status.order.order.cloid === ctx.cloid,
      `found by cloid (got ${JSON.stringify(status)})`);
  });
  await step("orderStatus of an unknown oid", async () => {
    const status = await info.orderStatus({ user, oid: 987654321 });
    expect(status.status === "unknownOid", "unknownOid");
  });
  await step("historicalOrders", async () => {
    const orders = await info.historicalOrders({ user });
    expect(orders.some((o) => o.status === "canceled"), "a canceled order");
    expect(orders.some((o) => o.status === "filled"), "a filled order");
  });
  await step("userFees", async () => {
    const fees = await info.userFees({ user });
    expect(typeof fees.userCrossRate === "string" && typeof fees.userAddRate === "string", "rates");
    expect(Array.isArray(fees.dailyUserVlm), "dailyUserVlm");
  });
  await step("userRateLimit", async () => {
    const limit = await info.userRateLimit({ user });
    expect(limit.nRequestsUsed > 0 && limit.nRequestsCap > 0, "requests used and cap");
  });
  await step("userRole", async () => {
    const role = await info.userRole({ user });
    expect(role.role === "user", "a user");
  });
  await step("userRole of an agent", async () => {
    expect(ctx.agent, "an approved agent");
    const role = await info.userRole({ user: ctx.agent.address });
    expect(role.role === "agent" && role.data.user === user, "the agent of its master");
  });
  await step("extraAgents", async () => {
    const agents = await info.extraAgents({ user });
    expect(agents.some((a) => a.name === "conform"), "the approved agent");
  });
  await step("subAccounts", async () => {
    const subs = await info.subAccounts({ user });
    expect(subs && subs.some((s) => s.name === "conform-sub"), "the created sub-account");
  });
  await step("maxBuilderFee", async () => {
    const fee = await info.maxBuilderFee({ user, builder: ctx.builder });
    expect(fee === 10, "the approved 0.01% as 10 tenths of a bp");
  });
  await step("activeAssetData", async () => {
    const data = await info.activeAssetData({ user, coin: "BTC" });
    expect(data.coin === "BTC" && data.leverage.value === 5, "leverage 5");
    expect(data.maxTradeSzs.length === 2 && data.availableToTrade.length === 2, "both sides");
  });
  // Funding settles on the venue's own clock (every second in the test venue): wait for it.
  await step("fundingHistory", async () => {
    const history = await eventually(() => info.fundingHistory({ coin: "BTC", startTime: Date.now() - day }));
    expect(history.every((h) => h.coin === "BTC" && typeof h.fundingRate === "string"), "BTC fundings");
  });
  await step("userFunding", async () => {
    const payments = async () =>
      (await info.userFunding({ user, startTime: Date.now() - day })).filter(
        (h) => h.delta.type === "funding" && h.delta.coin === "BTC",
      );
    const history = await eventually(payments);
    expect(history.every((h) => typeof h.delta.usdc === "string"), "payments in USDC");
  });
  await step("userNonFundingLedgerUpdates", async () => {
    const history = await info.userNonFundingLedgerUpdates({ user, startTime: Date.now() - day });
    const kinds = new Set(history.map((h) => h.delta.type));
    // a usdSend shows as an internalTransfer, a spotSend as a spotTransfer
    for (const kind of ["deposit", "internalTransfer", "spotTransfer", "accountClassTransfer", "withdraw", "subAccountTransfer"]) {
      expect(kinds.has(kind), `a ${kind} (got ${[...kinds]})`);
    }
  });
  await step("recentTrades", async () => {
    const trades = await info.recentTrades({ coin: "BTC" });
    expect(trades.length > 0 && trades.every((t) => t.users.length === 2), "trades with both users");
  });
  await step("candleSnapshot", async () => {
    const now = Date.now();
    const candles = await info.candleSnapshot({ coin: "BTC", interval: "1m", startTime: now - day, endTime: now });
    expect(candles.length > 0 && candles.every((c) => c.s === "BTC" && c.i === "1m"), "BTC 1m candles");
  });
  await step("referral", async () => {
    const referral = await info.referral({ user });
    expect(referral.referredBy?.code === "CONFORM", `referred by the code set (got ${JSON.stringify(referral.referredBy)})`);
    expect(typeof referral.cumVlm === "string" && typeof referral.referrerState.stage === "string", "cumVlm, stage");
  });
  await step("userAbstraction", async () => {
    expect(typeof (await info.userAbstraction({ user })) === "string", "a mode name");
  });
}
