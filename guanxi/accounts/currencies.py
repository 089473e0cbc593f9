"""ISO 4217 currency codes an organisation may keep its books in.

The current codes of the standard's list, without funds, precious metals and the
testing codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW, XAG, XAU, XB*, XDR, XPD,
XPT, XSU, XTS, XUA, XXX), which nobody invoices in. Replaced codes still in circulation
(ANG, SLL, ZWL) stay so older organisations remain valid.
"""

from __future__ import annotations

ISO_4217_CODES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD
    BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN
    ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR
    ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL
    MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
    PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD
    SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES
    VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
    """.split()  # noqa: SIM905 (a table to read, not a list to maintain)
)

# Offered as suggestions in the currency input, in this order.
COMMON_CURRENCIES: tuple[str, ...] = (
    "CNY",
    "HKD",
    "MOP",
    "TWD",
    "USD",
    "EUR",
    "GBP",
    "JPY",
    "KRW",
    "SGD",
    "MYR",
    "THB",
    "VND",
    "IDR",
    "PHP",
    "INR",
    "AUD",
    "CAD",
    "CHF",
    "RUB",
    "AED",
)
