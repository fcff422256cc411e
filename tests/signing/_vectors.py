"""Signing vectors from hyperliquid-api.md §3.6 (the SDK's own tests/signing_test.py) and §3.7
(computed with SDK 0.24.0). Shared by the vector tests and the recovery tests."""

from __future__ import annotations

from typing import Any

TEST_KEY_HEX = "0x0123456789012345678901234567890123456789012345678901234567890123"
TEST_ADDRESS = "0x14791697260e4c9a71f18484c9f997b308e59325"
VAULT = "0x1719884eb866cb12b2287399b15f7db5e7d775ea"
N = 1700000000000


def order(asset: int, price: str, size: str, tif: str = "Gtc", **extra: Any) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "a": asset,
        "b": True,
        "p": price,
        "s": size,
        "r": False,
        "t": {"limit": {"tif": tif}},
    }
    wire.update(extra)
    return {"type": "order", "orders": [wire], "grouping": "na"}


DUMMY = {"type": "dummy", "num": 100000000000}
ORDER_100 = order(1, "100", "100")
ORDER_100_CLOID = order(1, "100", "100", c="0x00000000000000000000000000000001")
TRIGGER = {
    "type": "order",
    "orders": [
        {
            "a": 1,
            "b": True,
            "p": "100",
            "s": "100",
            "r": False,
            "t": {"trigger": {"isMarket": True, "triggerPx": "103", "tpsl": "sl"}},
        }
    ],
    "grouping": "na",
}
HIP3_ORDER_WIRE = {
    "a": 110000,
    "b": True,
    "p": "25.123",
    "s": "1.5",
    "r": False,
    "t": {"limit": {"tif": "Gtc"}},
    "c": "0x0000000000000000000000000000002a",
}
HIP3_ORDER = {"type": "order", "orders": [HIP3_ORDER_WIRE], "grouping": "na"}

# (name, action, nonce, vault, expires_after, mainnet, r, s, v)
L1_VECTORS: list[tuple[str, dict[str, Any], int, str | None, int | None, bool, str, str, int]] = [
    ("2 dummy", DUMMY, 0, None, None, True,
     "0x53749d5b30552aeb2fca34b530185976545bb22d0b3ce6f62e31be961a59298",
     "0x755c40ba9bf05223521753995abb2f73ab3229be8ec921f350cb447e384d8ed8", 27),
    ("2t dummy", DUMMY, 0, None, None, False,
     "0x542af61ef1f429707e3c76c5293c80d01f74ef853e34b76efffcb57e574f9510",
     "0x17b8b32f086e8cdede991f1e2c529f5dd5297cbe8128500e00cbaf766204a613", 28),
    ("3 order", ORDER_100, 0, None, None, True,
     "0xd65369825a9df5d80099e513cce430311d7d26ddf477f5b3a33d2806b100d78e",
     "0x2b54116ff64054968aa237c20ca9ff68000f977c93289157748a3162b6ea940e", 28),
    ("3t order", ORDER_100, 0, None, None, False,
     "0x82b2ba28e76b3d761093aaded1b1cdad4960b3af30212b343fb2e6cdfa4e3d54",
     "0x6b53878fc99d26047f4d7e8c90eb98955a109f44209163f52d8dc4278cbbd9f5", 27),
    ("4 order+cloid", ORDER_100_CLOID, 0, None, None, True,
     "0x41ae18e8239a56cacbc5dad94d45d0b747e5da11ad564077fcac71277a946e3",
     "0x3c61f667e747404fe7eea8f90ab0e76cc12ce60270438b2058324681a00116da", 27),
    ("4t order+cloid", ORDER_100_CLOID, 0, None, None, False,
     "0xeba0664bed2676fc4e5a743bf89e5c7501aa6d870bdb9446e122c9466c5cd16d",
     "0x7f3e74825c9114bc59086f1eebea2928c190fdfbfde144827cb02b85bbe90988", 28),
    ("5 dummy+vault", DUMMY, 0, VAULT, None, True,
     "0x3c548db75e479f8012acf3000ca3a6b05606bc2ec0c29c50c515066a326239",
     "0x4d402be7396ce74fbba3795769cda45aec00dc3125a984f2a9f23177b190da2c", 28),
    ("5t dummy+vault", DUMMY, 0, VAULT, None, False,
     "0xe281d2fb5c6e25ca01601f878e4d69c965bb598b88fac58e475dd1f5e56c362b",
     "0x7ddad27e9a238d045c035bc606349d075d5c5cd00a6cd1da23ab5c39d4ef0f60", 27),
    ("6 trigger", TRIGGER, 0, None, None, True,
     "0x98343f2b5ae8e26bb2587daad3863bc70d8792b09af1841b6fdd530a2065a3f9",
     "0x6b5bb6bb0633b710aa22b721dd9dee6d083646a5f8e581a20b545be6c1feb405", 27),
    ("6t trigger", TRIGGER, 0, None, None, False,
     "0x971c554d917c44e0e1b6cc45d8f9404f32172a9d3b3566262347d0302896a2e4",
     "0x206257b104788f80450f8e786c329daa589aa0b32ba96948201ae556d5637eac", 28),
    ("7 createSubAccount", {"type": "createSubAccount", "name": "example"}, 0, None, None, True,
     "0x51096fe3239421d16b671e192f574ae24ae14329099b6db28e479b86cdd6caa7",
     "0xb71f7d293af92d3772572afb8b102d167a7cef7473388286bc01f52a5c5b423", 27),
    ("7t createSubAccount", {"type": "createSubAccount", "name": "example"}, 0, None, None, False,
     "0xa699e3ed5c2b89628c746d3298b5dc1cca604694c2c855da8bb8250ec8014a5b",
     "0x53f1b8153a301c72ecc655b1c315d64e1dcea3ee58921fd7507e35818fcc1584", 28),
    ("8 subAccountTransfer",
     {"type": "subAccountTransfer", "subAccountUser": "0x1d9470d4b963f552e6f671a81619d395877bf409",
      "isDeposit": True, "usd": 10}, 0, None, None, True,
     "0x43592d7c6c7d816ece2e206f174be61249d651944932b13343f4d13f306ae602",
     "0x71a926cb5c9a7c01c3359ec4c4c34c16ff8107d610994d4de0e6430e5cc0f4c9", 28),
    ("8t subAccountTransfer",
     {"type": "subAccountTransfer", "subAccountUser": "0x1d9470d4b963f552e6f671a81619d395877bf409",
      "isDeposit": True, "usd": 10}, 0, None, None, False,
     "0xe26574013395ad55ee2f4e0575310f003c5bb3351b5425482e2969fa51543927",
     "0xefb08999196366871f919fd0e138b3a7f30ee33e678df7cfaf203e25f0a4278", 28),
    ("9 scheduleCancel", {"type": "scheduleCancel"}, 0, None, None, True,
     "0x6cdfb286702f5917e76cd9b3b8bf678fcc49aec194c02a73e6d4f16891195df9",
     "0x6557ac307fa05d25b8d61f21fb8a938e703b3d9bf575f6717ba21ec61261b2a0", 27),
    ("9t scheduleCancel", {"type": "scheduleCancel"}, 0, None, None, False,
     "0xc75bb195c3f6a4e06b7d395acc20bbb224f6d23ccff7c6a26d327304e6efaeed",
     "0x342f8ede109a29f2c0723bd5efb9e9100e3bbb493f8fb5164ee3d385908233df", 28),
    ("10 scheduleCancel+time", {"type": "scheduleCancel", "time": 123456789}, 0, None, None, True,
     "0x609cb20c737945d070716dcc696ba030e9976fcf5edad87afa7d877493109d55",
     "0x16c685d63b5c7a04512d73f183b3d7a00da5406ff1f8aad33f8ae2163bab758b", 28),
    ("10t scheduleCancel+time", {"type": "scheduleCancel", "time": 123456789}, 0, None, None,
     False,
     "0x4e4f2dbd4107c69783e251b7e1057d9f2b9d11cee213441ccfa2be63516dc5bc",
     "0x706c656b23428c8ba356d68db207e11139ede1670481a9e01ae2dfcdb0e1a678", 27),
    # §3.7 (SDK 0.24.0, nonce N)
    ("hip3 order", HIP3_ORDER, N, None, None, True,
     "0x7e1d15d16d4c37ddbc9e3eb3fe76cf66c34646711f64dafe9316e70c710076e2",
     "0xe1c2ad72125042336dc10ad1f9e11dfe36fe5cce3f4863f4cc38368980d44f7", 28),
    ("hip3 order+expiresAfter", HIP3_ORDER, N, None, 1700000060000, True,
     "0x97a7c321fffc3632444798c0919558c6479875cd2b0294b31358bb49e75c1369",
     "0x3e0ebe156bcf5cd91bfa55894849dce7a5c15c99c5c7fd0822d7da185045a880", 28),
    ("hip3 order+vault testnet", HIP3_ORDER, N, VAULT, None, False,
     "0x1ae6bf83973e2c232db106be40ff901787e8e9bb1b653c465d50b2d756b3e6b7",
     "0x39b181d0bdb050d2797aadc8444af2f291cadca7637cb8d64663ee440b36e0f0", 27),
    ("IOC+builder",
     {"type": "order",
      "orders": [{"a": 0, "b": False, "p": "95000", "s": "0.001", "r": True,
                  "t": {"limit": {"tif": "Ioc"}}}],
      "grouping": "na", "builder": {"b": "0x0000000000000000000000000000000000000001", "f": 10}},
     N, None, None, True,
     "0xb7dfb6ebf29ff9943088230444692399db038e2c40ad7584ab3fa4b6314c1d7c",
     "0x2fdcca07c2083caf8441a70d30ed400dd269eff1be61c72e8eca80a588e35d3f", 27),
    ("cancel", {"type": "cancel", "cancels": [{"a": 110000, "o": 123456789}]}, N, None, None, True,
     "0x502573164029c50c73b96920c50c925b7445399030fd28c7c74d07a5ea46f14b",
     "0x58286003b2d2cfeb82ebc1c47ddf2574c9bb4da401e97b39818df246ff3ea7b", 28),
    ("cancelByCloid",
     {"type": "cancelByCloid",
      "cancels": [{"asset": 110000, "cloid": "0x0000000000000000000000000000002a"}]},
     N, None, None, True,
     "0x43dfbe9bb867a66636e8b48cfc24f9a614958c9ba70f23b3f93b45ba103d5a47",
     "0x5eede0a1079506562bf0aa0cfb4b54e99f81d29e6db45525310e26f3cb9e12ed", 28),
    ("batchModify",
     {"type": "batchModify", "modifies": [{"oid": 123456789, "order": HIP3_ORDER_WIRE}]},
     N, None, None, True,
     "0xe32e44fb3a17d3fe97f2eac78c983137c845d12b7d970e9bcec20a82168f0d64",
     "0x277c00cbbbe172df1d09ec1eead74e19b7834df5dcfac18f8b759b9297ee2a7f", 27),
    ("updateLeverage",
     {"type": "updateLeverage", "asset": 110000, "isCross": False, "leverage": 5},
     N, None, None, True,
     "0x334840497efeb30873d00c706a80d48755b95a9fbf6aaae23d49da19ad3fc5af",
     "0x7191c5ef98ef655bd02f7e0ea766d1d7079bd9f8d514c43d0af1eb2949327695", 27),
    ("updateIsolatedMargin",
     {"type": "updateIsolatedMargin", "asset": 110000, "isBuy": True, "ntli": 1000000},
     N, None, None, True,
     "0x75c5b0cef5fd587c56ec06c8e5d4321703a533dc9f5e012a643e2d7516a0a202",
     "0x253dc62c3a836082e97f4aa357a3dae3018ade4fb971bea637f7411fc0705627", 27),
]  # fmt: skip

# §3.6 vector 1: only the connectionId is published.
VECTOR_1_ACTION = order(4, "1670.1", "0.0147", tif="Ioc")
VECTOR_1_NONCE = 1677777606040
VECTOR_1_CONNECTION_ID = "0fcbeda5ae3c4950a548021552a4fea2226858c4453571bf3f24ba017eac2908"
# §3.6 debug aid for vector 3.
VECTOR_3_CONNECTION_ID = "884f2c32bb6dbdd65f6033e32fb28c0cb6f5b345db0f6471fd3366d85c9252c1"

USD_MESSAGE = {
    "destination": "0x5e9ee1089755c3435139848e47e6635505d5a13a",
    "amount": "1",
    "time": 1687816341423,
}
