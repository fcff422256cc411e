"""The venue's example payloads from hyperliquid-api.md (§1, §2, §4, §8), verbatim where the
document gives complete JSON, each paired with the wire class (or typing form) that models it."""

from __future__ import annotations

from typing import Any

from hip3.wire import models as m

USER = "0x14791697260e4c9a71f18484c9f997b308e59325"

FILL_HIP3 = (
    '{"coin":"test:ABC","px":"25.123","sz":"0.5","side":"B","time":1700000300000,'
    '"startPosition":"-15.0","dir":"Close Short","closedPnl":"0.0385",'
    '"hash":"0x4f0c9d2a7b1e3f5a6c8d0e2f4a6b8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f90e1","oid":123456789,'
    '"crossed":false,"fee":"0.001884","tid":883712001122334,"feeToken":"USDC","twapId":null,'
    '"cloid":"0x0000000000000000000000000000002a"}'
)
FILL_DOCS = (
    '{"coin":"AVAX","px":"18.435","sz":"93.53","side":"B","time":1681222254710,'
    '"startPosition":"26.86","dir":"Open Long","closedPnl":"0.0",'
    '"hash":"0xa166e3fa63c25663024b03f2e0da011a00307e4017465df020210d3d432e7cb8",'
    '"oid":90542681,"crossed":false,"fee":"0.01","feeToken":"USDC","builderFee":"0.01",'
    '"tid":118906512037719}'
)
FILL_LIQUIDATION = (
    '{"coin":"ETH","px":"3050.1","sz":"0.5","side":"A","time":1700001000000,"startPosition":"0.5",'
    '"dir":"Liquidated Cross Long","closedPnl":"-120.3",'
    '"hash":"0x1c2b3a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809","oid":98765,'
    '"crossed":true,"fee":"0.0","tid":555000111222333,"feeToken":"USDC","twapId":null,'
    '"liquidation":{"liquidatedUser":"0x14791697260e4c9a71f18484c9f997b308e59325",'
    '"markPx":"3049.8","method":"market"}}'
)

CLEARINGHOUSE_MAIN = """{"assetPositions":[{"type":"oneWay","position":{"coin":"BTC","szi":"0.004","entryPx":"94995.0",
   "positionValue":"379.99","unrealizedPnl":"0.01","returnOnEquity":"0.00026317",
   "liquidationPx":"71562.61","leverage":{"type":"cross","value":10},"marginUsed":"37.999",
   "maxLeverage":40,"cumFunding":{"allTime":"0.0","sinceOpen":"0.0","sinceChange":"0.0"}}}],
 "marginSummary":{"accountValue":"1000.01","totalNtlPos":"379.99","totalRawUsd":"620.02","totalMarginUsed":"37.999"},
 "crossMarginSummary":{"accountValue":"1000.01","totalNtlPos":"379.99","totalRawUsd":"620.02","totalMarginUsed":"37.999"},
 "crossMaintenanceMarginUsed":"4.74988","withdrawable":"962.011","time":1700000001000}"""

CLEARINGHOUSE_HIP3 = """{"assetPositions":[{"type":"oneWay","position":{"coin":"test:ABC","szi":"-15.0","entryPx":"25.2",
   "positionValue":"376.65","unrealizedPnl":"1.35","returnOnEquity":"0.0178571","liquidationPx":"30.1",
   "leverage":{"type":"isolated","value":5,"rawUsd":"453.6"},"marginUsed":"76.95","maxLeverage":10,
   "cumFunding":{"allTime":"-0.02","sinceOpen":"-0.02","sinceChange":"-0.02"}}}],
 "marginSummary":{"accountValue":"500.0","totalNtlPos":"376.65","totalRawUsd":"876.65","totalMarginUsed":"76.95"},
 "crossMarginSummary":{"accountValue":"423.05","totalNtlPos":"0.0","totalRawUsd":"423.05","totalMarginUsed":"0.0"},
 "crossMaintenanceMarginUsed":"0.0","withdrawable":"423.05","time":1700000001000}"""

CLEARINGHOUSE_DOCS = """{"assetPositions":[{"type":"oneWay","position":{
   "coin":"ETH","szi":"0.0335","entryPx":"2986.3","positionValue":"100.02765",
   "unrealizedPnl":"-0.0134","returnOnEquity":"-0.0026789","liquidationPx":"2866.26936529",
   "leverage":{"type":"isolated","value":20,"rawUsd":"-95.059824"},
   "marginUsed":"4.967826","maxLeverage":50,
   "cumFunding":{"allTime":"514.085417","sinceOpen":"0.0","sinceChange":"0.0"}}}],
 "marginSummary":{"accountValue":"13109.482328","totalNtlPos":"100.02765","totalRawUsd":"13009.454678","totalMarginUsed":"4.967826"},
 "crossMarginSummary":{"accountValue":"13104.514502","totalNtlPos":"0.0","totalRawUsd":"13104.514502","totalMarginUsed":"0.0"},
 "crossMaintenanceMarginUsed":"0.0","withdrawable":"13104.514502","time":1708622398623}"""

META_HIP3 = """{"universe":[{"szDecimals":1,"name":"test:ABC","maxLeverage":10,"marginTableId":10,
              "onlyIsolated":true,"marginMode":"strictIsolated"}],
 "marginTables":[[10,{"description":"","marginTiers":[{"lowerBound":"0.0","maxLeverage":10}]}]],
 "collateralToken":0}"""

META_MAIN = """{"universe":[{"name":"BTC","szDecimals":5,"maxLeverage":40,"marginTableId":56},
             {"name":"ETH","szDecimals":4,"maxLeverage":25,"marginTableId":55}],
 "marginTables":[[56,{"description":"tiered 40x","marginTiers":[{"lowerBound":"0.0","maxLeverage":40},{"lowerBound":"150000000.0","maxLeverage":20}]}],
                 [55,{"description":"tiered 25x","marginTiers":[{"lowerBound":"0.0","maxLeverage":25},{"lowerBound":"100000000.0","maxLeverage":15}]}]],
 "collateralToken":0}"""

META_DOCS = """{"universe":[{"name":"BTC","szDecimals":5,"maxLeverage":50},
             {"name":"HPOS","szDecimals":0,"maxLeverage":3,"onlyIsolated":true},
             {"name":"LOOM","szDecimals":1,"maxLeverage":3,"isDelisted":true,
              "marginMode":"strictIsolated","onlyIsolated":true}],
 "marginTables":[[50,{"description":"","marginTiers":[{"lowerBound":"0.0","maxLeverage":50}]}],
                 [51,{"description":"tiered 10x","marginTiers":[{"lowerBound":"0.0","maxLeverage":10},
                                                            {"lowerBound":"3000000.0","maxLeverage":5}]}]],
 "collateralToken":0}"""

PERP_DEXS = """[null,
 {"name":"test","fullName":"test dex","deployer":"0x5e89b26d8d66da9888c835c9bfcc2aa51813e152",
  "oracleUpdater":null,"feeRecipient":null,
  "assetToStreamingOiCap":[["test:ABC","1000000.0"]],
  "assetToFundingMultiplier":[["test:ABC","1.0"]]}]"""

PERP_DEXS_DOCS = """[null,{"name":"test","fullName":"test dex","deployer":"0x5e89b26d8d66da9888c835c9bfcc2aa51813e152",
       "oracleUpdater":null,"feeRecipient":null,
       "assetToStreamingOiCap":[["COIN1","100000.0"],["COIN2","200000.0"]],
       "assetToFundingMultiplier":[["COIN1","1.0"],["COIN2","2.0"]]}]"""

META_AND_CTXS = """[{"universe":[{"szDecimals":1,"name":"test:ABC","maxLeverage":10,"marginTableId":10,"onlyIsolated":true,"marginMode":"strictIsolated"}],
  "marginTables":[[10,{"description":"","marginTiers":[{"lowerBound":"0.0","maxLeverage":10}]}]],
  "collateralToken":0},
 [{"funding":"0.0000125","openInterest":"1520.3","prevDayPx":"24.9","dayNtlVlm":"38211.44",
   "premium":"0.0004","oraclePx":"25.1","markPx":"25.11","midPx":"25.115",
   "impactPxs":["25.1","25.13"],"dayBaseVlm":"1523.1"}]]"""

OPEN_ORDERS = """[{"coin":"test:ABC","side":"B","limitPx":"25.123","sz":"1.5","oid":123456789,"timestamp":1700000000050,
  "origSz":"1.5","cloid":"0x0000000000000000000000000000002a"}]"""
OPEN_ORDERS_DOCS = '[{"coin":"BTC","limitPx":"29792.0","oid":91490942,"side":"A","sz":"0.0","timestamp":1681247412573}]'
FRONTEND_OPEN_ORDERS = """[{"coin":"test:ABC","side":"B","limitPx":"25.123","sz":"1.5","oid":123456789,"timestamp":1700000000050,
  "triggerCondition":"N/A","isTrigger":false,"triggerPx":"0.0","children":[],"isPositionTpsl":false,
  "reduceOnly":false,"orderType":"Limit","origSz":"1.5","tif":"Gtc","cloid":"0x0000000000000000000000000000002a"}]"""

ORDER_STATUS = """{"status":"order","order":{"order":{"coin":"test:ABC","side":"B","limitPx":"25.123","sz":"1.5","oid":123456789,
  "timestamp":1700000000050,"triggerCondition":"N/A","isTrigger":false,"triggerPx":"0.0","children":[],
  "isPositionTpsl":false,"reduceOnly":false,"orderType":"Limit","origSz":"1.5","tif":"Gtc",
  "cloid":"0x0000000000000000000000000000002a"},"status":"open","statusTimestamp":1700000000050}}"""
ORDER_STATUS_DOCS = """{"status":"order","order":{"order":{"coin":"ETH","side":"A","limitPx":"2412.7","sz":"0.0","oid":1,
  "timestamp":1724361546645,"triggerCondition":"N/A","isTrigger":false,"triggerPx":"0.0","children":[],
  "isPositionTpsl":false,"reduceOnly":true,"orderType":"Market","origSz":"0.0076","tif":"FrontendMarket",
  "cloid":null},"status":"filled","statusTimestamp":1724361546645}}"""

L2_BOOK = """{"coin":"test:ABC","time":1700000001000,
 "levels":[[{"px":"25.11","sz":"120.4","n":3},{"px":"25.1","sz":"300.0","n":5}],
           [{"px":"25.12","sz":"80.0","n":2},{"px":"25.13","sz":"210.5","n":4}]]}"""
L2_BOOK_DOCS = """{"coin":"BTC","time":1754450974231,
 "levels":[[{"px":"113377.0","sz":"7.6699","n":17},{"px":"113376.0","sz":"4.13714","n":8}],
           [{"px":"113397.0","sz":"0.11543","n":3}]]}"""

CANDLES = """[{"t":1699999980000,"T":1700000039999,"s":"BTC","i":"1m","o":"94980.0","c":"95000.0","h":"95010.0","l":"94975.0","v":"3.21","n":57},
 {"t":1700000040000,"T":1700000099999,"s":"BTC","i":"1m","o":"95000.0","c":"94995.0","h":"95004.0","l":"94990.0","v":"1.02","n":23}]"""

# (name, JSON text, class) for every info response example.
INFO_SAMPLES: list[tuple[str, str, Any]] = [
    ("perpDexs", PERP_DEXS, m.PerpDexs),
    ("perpDexs docs", PERP_DEXS_DOCS, m.PerpDexs),
    ("meta hip3", META_HIP3, m.Meta),
    ("meta main", META_MAIN, m.Meta),
    ("meta docs", META_DOCS, m.Meta),
    ("metaAndAssetCtxs", META_AND_CTXS, m.MetaAndAssetCtxs),
    ("allMids", '{"BTC":"94997.5","ETH":"3301.25","PURR/USDC":"0.18","@107":"38.2"}', m.AllMids),
    ("allMids dex", '{"test:ABC":"25.115"}', m.AllMids),
    ("clearinghouseState main", CLEARINGHOUSE_MAIN, m.ClearinghouseState),
    ("clearinghouseState hip3", CLEARINGHOUSE_HIP3, m.ClearinghouseState),
    ("clearinghouseState docs", CLEARINGHOUSE_DOCS, m.ClearinghouseState),
    ("openOrders", OPEN_ORDERS, list[m.OpenOrder]),
    ("openOrders docs", OPEN_ORDERS_DOCS, list[m.OpenOrder]),
    ("frontendOpenOrders", FRONTEND_OPEN_ORDERS, list[m.FrontendOrder]),
    ("userFills", f"[{FILL_HIP3},{FILL_DOCS}]", list[m.WireFill]),
    ("userFills liquidation", f"[{FILL_LIQUIDATION}]", list[m.WireFill]),
    ("orderStatus", ORDER_STATUS, m.OrderStatusResponse),
    ("orderStatus docs", ORDER_STATUS_DOCS, m.OrderStatusResponse),
    ("orderStatus unknown", '{"status":"unknownOid"}', m.OrderStatusResponse),
    ("l2Book", L2_BOOK, m.L2Book),
    ("l2Book docs", L2_BOOK_DOCS, m.L2Book),
    ("candleSnapshot", CANDLES, list[m.Candle]),
    (
        "fundingHistory",
        '[{"coin":"test:ABC","fundingRate":"0.0000125","premium":"0.0001","time":1700002800000}]',
        list[m.FundingRecord],
    ),
    (
        "userFunding",
        '[{"time":1700002800000,"hash":"0x0000000000000000000000000000000000000000000000000000000000000000",'
        '"delta":{"type":"funding","coin":"test:ABC","usdc":"0.004706","szi":"-15.0",'
        '"fundingRate":"0.0000125","nSamples":null}}]',
        list[m.UserFundingEntry],
    ),
    (
        "userRateLimit",
        '{"cumVlm":"12345.67","nRequestsUsed":321,"nRequestsCap":22345,"nRequestsSurplus":0}',
        m.UserRateLimit,
    ),
]

EXCHANGE_SAMPLES: list[tuple[str, str]] = [
    (
        "order statuses docs",
        '{"status":"ok","response":{"type":"order","data":{"statuses":['
        '{"resting":{"oid":77738308,"cloid":"0x00000000000000000000000000000001"}},'
        '{"filled":{"totalSz":"0.02","avgPx":"1891.4","oid":77747314,"cloid":"0x00000000000000000000000000000002"}},'
        '{"error":"Order must have minimum value of $10."},"waitingForFill","waitingForTrigger"]}}}',
    ),
    (
        "resting with cloid",
        '{"status":"ok","response":{"type":"order","data":{"statuses":[{"resting":{"oid":123456789,"cloid":"0x0000000000000000000000000000002a"}}]}}}',
    ),
    (
        "filled with cloid",
        '{"status":"ok","response":{"type":"order","data":{"statuses":[{"filled":{"totalSz":"1.5","avgPx":"25.12","oid":123456789,"cloid":"0x0000000000000000000000000000002a"}}]}}}',
    ),
    (
        "order error",
        '{"status":"ok","response":{"type":"order","data":{"statuses":[{"error":"Insufficient margin to place order. asset=110000"}]}}}',
    ),
    (
        "duplicate nonce",
        '{"status":"err","response":"Invalid nonce: duplicate nonce 1700000000000"}',
    ),
    (
        "filled without cloid",
        '{"status":"ok","response":{"type":"order","data":{"statuses":[{"filled":{"totalSz":"0.001","avgPx":"95001.0","oid":556}}]}}}',
    ),
    (
        "normalTpsl",
        '{"status":"ok","response":{"type":"order","data":{"statuses":[{"resting":{"oid":600}},"waitingForFill","waitingForFill"]}}}',
    ),
    (
        "cancel success",
        '{"status":"ok","response":{"type":"cancel","data":{"statuses":["success"]}}}',
    ),
    (
        "cancel error",
        '{"status":"ok","response":{"type":"cancel","data":{"statuses":["success",'
        '{"error":"Order was never placed, already canceled, or filled."}]}}}',
    ),
    ("default", '{"status":"ok","response":{"type":"default"}}'),
    (
        "schedule too early",
        '{"status":"err","response":"Scheduled cancel time too early, must be at least 5 seconds from now."}',
    ),
    (
        "twapOrder",
        '{"status":"ok","response":{"type":"twapOrder","data":{"status":{"running":{"twapId":77}}}}}',
    ),
]

WS_SAMPLES: list[tuple[str, str, type]] = [
    (
        "subscriptionResponse",
        '{"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{"type":"userFills","user":"0x14791697260e4c9a71f18484c9f997b308e59325"}}}',
        m.WsSubscriptionResponse,
    ),
    (
        "userFills snapshot",
        f'{{"channel":"userFills","data":{{"isSnapshot":true,"user":"{USER}","fills":[{FILL_HIP3},{FILL_DOCS}]}}}}',
        m.WsUserFills,
    ),
    (
        "userFills streaming",
        f'{{"channel":"userFills","data":{{"user":"{USER}","fills":[{FILL_HIP3}]}}}}',
        m.WsUserFills,
    ),
    (
        "userFills isSnapshot false",
        f'{{"channel":"userFills","data":{{"isSnapshot":false,"user":"{USER}","fills":[{FILL_LIQUIDATION}]}}}}',
        m.WsUserFills,
    ),
    (
        "orderUpdates open",
        '{"channel":"orderUpdates","data":[{"order":{"coin":"test:ABC","side":"B","limitPx":"25.123","sz":"1.5","oid":123456789,"timestamp":1700000000050,"origSz":"1.5","cloid":"0x0000000000000000000000000000002a"},"status":"open","statusTimestamp":1700000000050}]}',
        m.WsOrderUpdates,
    ),
    (
        "orderUpdates filled",
        '{"channel":"orderUpdates","data":[{"order":{"coin":"test:ABC","side":"B","limitPx":"25.123","sz":"0.0","oid":123456789,"timestamp":1700000000050,"origSz":"1.5","cloid":"0x0000000000000000000000000000002a"},"status":"filled","statusTimestamp":1700000900000}]}',
        m.WsOrderUpdates,
    ),
    (
        "orderUpdates canceled",
        '{"channel":"orderUpdates","data":[{"order":{"coin":"BTC","side":"A","limitPx":"96000.0","sz":"0.001","oid":601,"timestamp":1700000000500,"origSz":"0.001"},"status":"canceled","statusTimestamp":1700000001500}]}',
        m.WsOrderUpdates,
    ),
    ("user fills", f'{{"channel":"user","data":{{"fills":[{FILL_HIP3}]}}}}', m.WsUserEvents),
    (
        "user funding",
        '{"channel":"user","data":{"funding":{"time":1700002800000,"coin":"test:ABC","usdc":"0.004706","szi":"-15.0","fundingRate":"0.0000125","nSamples":null}}}',
        m.WsUserEvents,
    ),
    (
        "user nonUserCancel",
        '{"channel":"user","data":{"nonUserCancel":[{"coin":"BTC","oid":601}]}}',
        m.WsUserEvents,
    ),
    (
        "user liquidation",
        '{"channel":"user","data":{"liquidation":{"lid":12345,"liquidator":"0x00000000000000000000000000000000000000bb","liquidated_user":"0x14791697260e4c9a71f18484c9f997b308e59325","liquidated_ntl_pos":"1525.05","liquidated_account_value":"40.2"}}}',
        m.WsUserEvents,
    ),
    (
        "userFundings",
        '{"channel":"userFundings","data":{"isSnapshot":true,"user":"0x14791697260e4c9a71f18484c9f997b308e59325","fundings":[{"time":1700002800000,"coin":"test:ABC","usdc":"0.004706","szi":"-15.0","fundingRate":"0.0000125","nSamples":null}]}}',
        m.WsUserFundings,
    ),
    (
        "l2Book",
        '{"channel":"l2Book","data":{"coin":"BTC","time":1700000001000,"levels":[[{"px":"94995.0","sz":"1.2","n":4}],[{"px":"95000.0","sz":"0.8","n":2}]]}}',
        m.L2Book,
    ),
    (
        "trades",
        '{"channel":"trades","data":[{"coin":"BTC","side":"B","px":"95000.0","sz":"0.002","hash":"0x9a7d3c1b5e7f9a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a20","time":1700000000123,"tid":731001234567891,"users":["0x14791697260e4c9a71f18484c9f997b308e59325","0x00000000000000000000000000000000000000aa"]}]}',
        m.WsTrades,
    ),
    (
        "allMids",
        '{"channel":"allMids","data":{"mids":{"BTC":"94997.5","ETH":"3301.25"}}}',
        m.WsAllMids,
    ),
    (
        "allMids dex",
        '{"channel":"allMids","data":{"dex":"test","mids":{"test:ABC":"25.115"}}}',
        m.WsAllMids,
    ),
    (
        "clearinghouseState",
        f'{{"channel":"clearinghouseState","data":{{"dex":"test","user":"{USER}","clearinghouseState":{CLEARINGHOUSE_HIP3}}}}}',
        m.WsClearinghouseState,
    ),
    (
        "notification",
        '{"channel":"notification","data":{"notification":"<free text>"}}',
        m.WsNotification,
    ),
    ("pong", '{"channel":"pong"}', m.WsPong),
    (
        "unsubscribe ack",
        '{"channel":"subscriptionResponse","data":{"method":"unsubscribe","subscription":{"type":"trades","coin":"BTC"}}}',
        m.WsSubscriptionResponse,
    ),
    (
        "error",
        '{"channel":"error","data":"Already unsubscribed: {\\"type\\":\\"trades\\",\\"coin\\":\\"BTC\\"}"}',
        m.WsError,
    ),
    (
        "post info",
        '{"channel":"post","data":{"id":1,"response":{"type":"info","payload":{"type":"openOrders","data":[{"coin":"test:ABC","side":"B","limitPx":"25.123","sz":"1.5","oid":123456789,"timestamp":1700000000050,"origSz":"1.5","cloid":"0x0000000000000000000000000000002a"}]}}}}',
        m.WsPost,
    ),
    (
        "post action",
        '{"channel":"post","data":{"id":2,"response":{"type":"action","payload":{"status":"ok","response":{"type":"cancel","data":{"statuses":["success"]}}}}}}',
        m.WsPost,
    ),
    (
        "post action resting",
        '{"channel":"post","data":{"id":256,"response":{"type":"action","payload":{"status":"ok","response":{"type":"order","data":{"statuses":[{"resting":{"oid":88383}}]}}}}}}',
        m.WsPost,
    ),
    (
        "post action err",
        '{"channel":"post","data":{"id":4,"response":{"type":"action","payload":{"status":"err","response":"Invalid nonce: duplicate nonce 1700000000000"}}}}',
        m.WsPost,
    ),
    (
        "post error",
        '{"channel":"post","data":{"id":3,"response":{"type":"error","payload":"429 Too Many Requests"}}}',
        m.WsPost,
    ),
    (
        "unmodelled channel",
        '{"channel":"webData2","data":{"serverTime":1700000000000,"user":"0x14791697260e4c9a71f18484c9f997b308e59325"}}',
        m.WsUnknown,
    ),
]
