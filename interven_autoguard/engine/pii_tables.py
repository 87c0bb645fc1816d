"""Reference data for the PII validators: kept apart from the matching code so it can be audited.

Sources: the SWIFT IBAN registry (country → IBAN length), the card networks' published IIN ranges,
the SSA's SSN/ITIN allocation rules, the ABA routing-number prefix ranges.
"""

from __future__ import annotations

# ISO 3166 country code → total IBAN length (country code and check digits included).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip

# Payment-card issuer ranges: (lowest prefix, highest prefix, allowed lengths, brand).
# Both ends of a range have the same number of digits; a card matches when its first that-many
# digits fall inside the range and its length is allowed.
CARD_RANGES: tuple[tuple[int, int, frozenset[int], str], ...] = (
    (4, 4, frozenset({13, 16, 19}), "visa"),
    (51, 55, frozenset({16}), "mastercard"),
    (2221, 2720, frozenset({16}), "mastercard"),
    (34, 34, frozenset({15}), "amex"),
    (37, 37, frozenset({15}), "amex"),
    (6011, 6011, frozenset({16, 17, 18, 19}), "discover"),
    (644, 649, frozenset({16, 17, 18, 19}), "discover"),
    (65, 65, frozenset({16, 17, 18, 19}), "discover"),
    (622126, 622925, frozenset({16, 17, 18, 19}), "discover"),
    (3528, 3589, frozenset({16, 17, 18, 19}), "jcb"),
    (300, 305, frozenset({14, 15, 16, 17, 18, 19}), "diners"),
    (36, 36, frozenset({14, 15, 16, 17, 18, 19}), "diners"),
    (38, 39, frozenset({14, 15, 16, 17, 18, 19}), "diners"),
    (62, 62, frozenset({16, 17, 18, 19}), "unionpay"),
    (2200, 2204, frozenset({16, 17, 18, 19}), "mir"),
    (5018, 5018, frozenset(range(12, 20)), "maestro"),
    (5020, 5020, frozenset(range(12, 20)), "maestro"),
    (5038, 5038, frozenset(range(12, 20)), "maestro"),
    (5893, 5893, frozenset(range(12, 20)), "maestro"),
    (6304, 6304, frozenset(range(12, 20)), "maestro"),
    (6759, 6759, frozenset(range(12, 20)), "maestro"),
    (6761, 6763, frozenset(range(12, 20)), "maestro"),
)

# SSNs that were printed in advertising or pamphlets and are (still) used as samples everywhere.
# Card numbers the payment providers publish for testing (Stripe, Braintree, Adyen, PayPal, the
# networks' own): in test code, fixtures and docs an agent writes, never anyone's card.
TEST_CARD_NUMBERS: frozenset[str] = frozenset(
    "4242424242424242 4000056655665556 4000002500003155 4000000000003220 4000000000009995 "
    "4000000000000002 4000000000000077 4000000000000341 4111111111111111 4012888888881881 "
    "4222222222222 4005519200000004 4009348888881881 4012000033330026 4012000077777777 "
    "4217651111111119 4500600000000061 5555555555554444 2223003122003222 5200828282828210 "
    "5105105105105100 5431111111111111 5555555555555557 2223000048400011 378282246310005 "
    "371449635398431 378734493671000 6011111111111117 6011000990139424 6011000400000000 "
    "3056930009020004 36227206271667 30569309025904 38520000023237 3566002020360505 "
    "3530111333300000 6200000000000005 6221260000000000 "
    # Authorize.Net's sandbox testing guide
    "370000000000002 6011000000000012 38000000000006 4007000000027 4012888818888 "
    "5424000000000015 2223000010309703 2223000010309711 "
    # Checkout.com's sandbox test cards (credit and debit); Adyen's US debit Mastercard
    "4543474002249996 5436031030606378 2223000010479399 5199992312641465 345678901234564 "
    "4658584090000001 5500000000000004".split()
)
FAKE_SSNS: frozenset[str] = frozenset({"078051120", "219099999", "123456789", "457555462"})
# IBANs the standards publish as examples, exempt as the test cards above are: ISO 13616 and the
# ECBS implementation guide (GB82 WEST 1234 5698 7654 32, DE89 3704 0044 0532 0130 00) and the
# SWIFT IBAN Registry's example for each country (FR14 2004 1010 0505 0001 3M02 606, …). They fill
# IBAN validation code, its tests and every tutorial an agent reads or writes, and belong to
# nobody. Kept to these sources on purpose: the examples of encyclopedias and blogs
# (FR76 3000 6000 0112 3456 7890 189, GB33 BUKB 2020 1555 5555 55) are what people paste as "a
# realistic IBAN", leak probes included, and stay reported. Compact, upper-case; each one passes the
# length table and mod-97 (tested). Any other IBAN, one with an example's bank code too, is reported.
EXAMPLE_IBANS: frozenset[str] = frozenset(
    # ISO 13616 / ECBS
    "GB82WEST12345698765432 DE89370400440532013000 "
    # SWIFT IBAN Registry, one per country
    "AD1200012030200359100100 AE070331234567890123456 AT611904300234573201 BE68539007547034 "
    "BG80BNBG96611020345678 BR1800360305000010009795493C1 CH9300762011623852957 "
    "CY17002001280000001200527600 CZ6508000000192000145399 DK5000400440116243 EE382200221020145685 "
    "ES9121000418450200051332 FI2112345600000785 FR1420041010050500013M02606 GB29NWBK60161331926819 "
    "GI75NWBK000000007099453 GR1601101250000000012300695 HR1210010051863000160 "
    "HU42117730161111101800000000 IE29AIBK93115212345678 IL620108000000099999999 "
    "IS140159260076545510730339 IT60X0542811101000000123456 LI21088100002324013AA LT121000011101001000 "
    "LU280019400644750000 LV80BANK0000435195001 MC5811222000010123456789030 "
    "MT84MALT011000012345MTLCAST001S NL91ABNA0417164300 NO9386011117947 PL61109010140000071219812874 "
    "PT50000201231234567890154 RO49AAAA1B31007593840000 SA0380000000608010167519 "
    "SE4550000000058398257466 SI56263300012039086 SK3112000000198742637541 SM86U0322509800000000270100 "
    "TR330006100519786457841326".split()
)
# ITIN: area 9xx with these group numbers (IRS allocation); never a valid SSN (area ≥ 900).
ITIN_GROUPS: frozenset[int] = frozenset([*range(50, 66), *range(70, 89), *range(90, 93), *range(94, 100)])

# First two digits of an ABA routing number: Federal Reserve districts, thrifts, electronic,
# traveller's cheques.
ABA_PREFIXES: frozenset[int] = frozenset([*range(0, 13), *range(21, 33), *range(61, 73), 80])

# Top-level domains an e-mail address can end in: the IANA root zone list (tlds-alpha-by-domain.txt,
# Version 2026111700), lower-cased; internationalised TLDs in their ASCII ("xn--") form. An
# address needs one of these, so code such as ``x@self.weight`` or ``it@outer.value`` (PEP 465
# matrix products, Kotlin labels) is not an address while ``.io``, ``.ai``, ``.dev``, country codes
# and the other new gTLDs are. To refresh: replace the words with the current file's lines,
# lower-cased, sorted (a TLD delegated after this snapshot is the one address form we miss).
EMAIL_TLDS: frozenset[str] = frozenset(
    (
    "aaa aarp abb abbott abbvie abc able abogado abudhabi ac academy accenture accountant accountants aco "
    "actor ad ads adult ae aeg aero aetna af afl africa ag agakhan agency ai aig airbus airforce airtel "
    "akdn al alibaba alipay allfinanz allstate ally alsace alstom am amazon americanexpress "
    "americanfamily amex amfam amica amsterdam analytics android anquan anz ao aol apartments app apple "
    "aq aquarelle ar arab aramco archi army arpa art arte as asda asia associates at athleta attorney au "
    "auction audi audible audio auspost author auto autos aw aws ax axa az azure ba baby baidu banamex "
    "band bank bar barcelona barclaycard barclays barefoot bargains baseball basketball bauhaus bayern bb "
    "bbc bbt bbva bcg bcn bd be beats beauty beer berlin best bestbuy bet bf bg bh bharti bi bible bid "
    "bike bing bingo bio biz bj black blackfriday blockbuster blog bloomberg blue bm bms bmw bn "
    "bnpparibas bo boats boehringer bofa bom bond boo book booking bosch bostik boston bot boutique box "
    "br bradesco bridgestone broadway broker brother brussels bs bt build builders business buy buzz bv "
    "bw by bz bzh ca cab cafe cal call calvinklein cam camera camp canon capetown capital capitalone car "
    "caravan cards care career careers cars casa case cash casino cat catering catholic cba cbn cbre cc "
    "cd center ceo cern cf cfa cfd cg ch chanel channel charity chase chat cheap chintai christmas chrome "
    "church ci cipriani circle cisco citadel citi citic city ck cl claims cleaning click clinic clinique "
    "clothing cloud club clubmed cm cn co coach codes coffee college cologne com commbank community "
    "company compare computer comsec condos construction consulting contact contractors cooking cool coop "
    "corsica country coupon coupons courses cpa cr credit creditcard creditunion cricket crown crs cruise "
    "cruises cu cuisinella cv cw cx cy cymru cyou cz dad dance data date dating datsun day dclk dds de "
    "deal dealer deals degree delivery dell deloitte delta democrat dental dentist desi design dev dhl "
    "diamonds diet digital direct directory discount discover dish diy dj dk dm dnp do docs doctor dog "
    "domains dot download drive dtv dubai dupont durban dvag dvr dz earth eat ec eco edeka edu education "
    "ee eg email emerck energy engineer engineering enterprises epson equipment er ericsson erni es esq "
    "estate et eu eurovision eus events exchange expert exposed express extraspace fage fail fairwinds "
    "faith family fan fans farm farmers fashion fast fedex feedback ferrari ferrero fi fidelity fido film "
    "final finance financial fire firestone firmdale fish fishing fit fitness fj fk flickr flights flir "
    "florist flowers fly fm fo foo food football ford forex forsale forum foundation fox fr free "
    "fresenius frl frogans frontier ftr fujitsu fun fund furniture futbol fyi ga gal gallery gallo gallup "
    "game games gap garden gay gb gbiz gd gdn ge gea gent genting george gf gg ggee gh gi gift gifts "
    "gives giving gl glass gle global globo gm gmail gmbh gmo gmx gn godaddy gold goldpoint golf goodyear "
    "goog google gop got gov gp gq gr grainger graphics gratis green gripe grocery group gs gt gu gucci "
    "guge guide guitars guru gw gy hair hamburg hangout haus hbo hdfc hdfcbank health healthcare help "
    "here hermes hiphop hisamitsu hitachi hiv hk hkt hm hn hockey holdings holiday homedepot homegoods "
    "homes homesense honda horse hospital host hosting hot hotels hotmail house how hr hsbc ht hu hughes "
    "hyatt hyundai ibm icbc ice icu id ie ieee ifm ikano il im imamat imdb immo immobilien in inc "
    "industries infiniti info ing ink institute insurance insure int international intuit investments io "
    "ipiranga iq ir irish is ismaili ist istanbul it itau itv jaguar java jcb je jeep jetzt jewelry jio "
    "jll jm jmp jnj jo jobs joburg jot joy jp jpmorgan jprs juegos kaufen kddi ke kerryhotels "
    "kerryproperties kfh kg kh ki kia kids kim kindle kitchen kiwi km kn koeln komatsu kosher kp kpmg kpn "
    "kr krd kred kuokgroup kw ky kyoto kz la lacaixa lamborghini lamer land landrover lanxess lasalle lat "
    "latino latrobe law lawyer lb lc lds lease leclerc lefrak legal lego lexus lgbt li lidl life "
    "lifeinsurance lifestyle lighting like lilly limited limo lincoln link live living lk llc llp loan "
    "loans locker locus lol london lotte lotto love lpl lplfinancial lr ls lt ltd ltda lu lundbeck luxe "
    "luxury lv ly ma madrid maif maison makeup man management mango map market marketing markets marriott "
    "marshalls mattel mba mc mckinsey md me med media meet melbourne meme memorial men menu merck "
    "merckmsd mg mh miami microsoft mil mini mint mit mitsubishi mk ml mlb mls mm mma mn mo mobi mobile "
    "moda moe moi mom monash money monster mormon mortgage moscow moto motorcycles mov movie mp mq mr ms "
    "msd mt mtn mtr mu museum music mv mw mx my mz na nab nagoya name navy nba nc ne nec net netbank "
    "netflix network neustar new news next nextdirect nexus nf nfl ng ngo nhk ni nico nike nikon ninja "
    "nissan nissay nl no nokia norton now nowruz nowtv np nr nra nrw ntt nu nyc nz obi observer office "
    "okinawa olayan olayangroup ollo om omega one ong onl online ooo open oracle orange org organic "
    "origins osaka otsuka ott ovh pa page panasonic paris pars partners parts party pay pccw pe pet pf "
    "pfizer pg ph pharmacy phd philips phone photo photography photos physio pics pictet pictures pid pin "
    "ping pink pioneer pizza pk pl place play playstation plumbing plus pm pn pnc pohl poker politie porn "
    "post pr praxi press prime pro prod productions prof progressive promo properties property protection "
    "pru prudential ps pt pub pw pwc py qa qpon quebec quest racing radio re read realestate realtor "
    "realty recipes red redumbrella rehab reise reisen reit reliance ren rent rentals repair report "
    "republican rest restaurant review reviews rexroth rich richardli ricoh ril rio rip ro rocks rodeo "
    "rogers room rs rsvp ru rugby ruhr run rw rwe ryukyu sa saarland safe safety sakura sale salon "
    "samsclub samsung sandvik sandvikcoromant sanofi sap sarl sas save saxo sb sbi sbs sc scb schaeffler "
    "schmidt scholarships school schule schwarz science scot sd se search seat secure security seek "
    "select sener services seven sew sex sexy sfr sg sh shangrila sharp shell shia shiksha shoes shop "
    "shopping shouji show si silk sina singles site sj sk ski skin sky skype sl sling sm smart smile sn "
    "sncf so soccer social softbank software sohu solar solutions song sony soy spa space sport spot sr "
    "srl ss st stada staples star statebank statefarm stc stcgroup stockholm storage store stream studio "
    "study style su sucks supplies supply support surf surgery suzuki sv swatch swiss sx sy sydney "
    "systems sz tab taipei talk taobao target tatamotors tatar tattoo tax taxi tc tci td tdk team tech "
    "technology tel temasek tennis teva tf tg th thd theater theatre tiaa tickets tienda tips tires tirol "
    "tj tjmaxx tjx tk tkmaxx tl tm tmall tn to today tokyo tools top toray toshiba total tours town "
    "toyota toys tr trade trading training travel travelers travelersinsurance trust trv tt tube tui "
    "tunes tushu tv tvs tw tz ua ubank ubs ug uk unicom university uno uol ups us uy uz va vacations vana "
    "vanguard vc ve vegas ventures verisign versicherung vet vg vi viajes video vig viking villas vin vip "
    "virgin visa vision viva vivo vlaanderen vn vodka volvo vote voting voto voyage vu wales walmart "
    "walter wang wanggou watch watches weather weatherchannel web webcam weber website wed wedding weibo "
    "weir wf whoswho wien wiki williamhill win windows wine winners wme woodside work works world wow ws "
    "wtc wtf xbox xerox xihuan xin xn--11b4c3d xn--1ck2e1b xn--1qqw23a xn--2scrj9c xn--30rr7y xn--3bst00m "
    "xn--3ds443g xn--3e0b707e xn--3hcrj9c xn--3pxu8k xn--42c2d9a xn--45br5cyl xn--45brj9c xn--45q11c "
    "xn--4dbrk0ce xn--4gbrim xn--54b7fta0cc xn--55qw42g xn--55qx5d xn--5su34j936bgsg xn--5tzm5g "
    "xn--6frz82g xn--6qq986b3xl xn--80adxhks xn--80ao21a xn--80aqecdr1a xn--80asehdb xn--80aswg "
    "xn--8y0a063a xn--90a3ac xn--90ae xn--90ais xn--9dbq2a xn--9et52u xn--9krt00a xn--b4w605ferd "
    "xn--bck1b9a5dre4c xn--c1avg xn--c2br7g xn--cck2b3b xn--cckwcxetd xn--cg4bki xn--clchc0ea0b2g2a9gcd "
    "xn--czr694b xn--czrs0t xn--czru2d xn--d1acj3b xn--d1alf xn--e1a4c xn--eckvdtc9d xn--efvy88h "
    "xn--fct429k xn--fhbei xn--fiq228c5hs xn--fiq64b xn--fiqs8s xn--fiqz9s xn--fjq720a xn--flw351e "
    "xn--fpcrj9c3d xn--fzc2c9e2c xn--fzys8d69uvgm xn--g2xx48c xn--gckr3f0f xn--gecrj9c xn--gk3at1e "
    "xn--h2breg3eve xn--h2brj9c xn--h2brj9c8c xn--hxt814e xn--i1b6b1a6a2e xn--imr513n xn--io0a7i "
    "xn--j1aef xn--j1amh xn--j6w193g xn--jlq480n2rg xn--jvr189m xn--kcrx77d1x4a xn--kprw13d xn--kpry57d "
    "xn--kput3i xn--l1acc xn--lgbbat1ad8j xn--mgb9awbf xn--mgba3a3ejt xn--mgba3a4f16a xn--mgba7c0bbn0a "
    "xn--mgbaam7a8h xn--mgbab2bd xn--mgbah1a3hjkrd xn--mgbai9azgqp6j xn--mgbayh7gpa xn--mgbbh1a "
    "xn--mgbbh1a71e xn--mgbc0a9azcg xn--mgbca7dzdo xn--mgbcpq6gpa1a xn--mgberp4a5d4ar xn--mgbgu82a "
    "xn--mgbi4ecexp xn--mgbpl2fh xn--mgbt3dhd xn--mgbtx2b xn--mgbx4cd0ab xn--mix891f xn--mk1bu44c "
    "xn--mxtq1m xn--ngbc5azd xn--ngbe9e0a xn--ngbrx xn--node xn--nqv7f xn--nqv7fs00ema xn--nyqy26a "
    "xn--o3cw4h xn--ogbpf8fl xn--otu796d xn--p1acf xn--p1ai xn--pgbs0dh xn--pssy2u xn--q7ce6a xn--q9jyb4c "
    "xn--qcka1pmc xn--qxa6a xn--qxam xn--rhqv96g xn--rovu88b xn--rvc1e0am3e xn--s9brj9c xn--ses554g "
    "xn--t60b56a xn--tckwe xn--tiq49xqyj xn--unup4y xn--vermgensberater-ctb xn--vermgensberatung-pwb "
    "xn--vhquv xn--vuq861b xn--w4r85el8fhu5dnra xn--w4rs40l xn--wgbh1c xn--wgbl6a xn--xhq521b "
    "xn--xkc2al3hye2a xn--xkc2dl3a5ee0h xn--y9a3aq xn--yfro4i67o xn--ygbi2ammx xn--zfr164b xxx xyz yachts "
    "yahoo yamaxun yandex ye yodobashi yoga yokohama you youtube yt yun za zappos zara zero zip zm zone "
    "zuerich zw"
    ).split()
)

# E-mail "TLDs" that are really file extensions: ``logo@2x.png`` is an image, not a mailbox.
EMAIL_FAKE_TLDS: frozenset[str] = frozenset(
    "png jpg jpeg gif svg webp bmp ico tif tiff css scss js mjs cjs ts tsx jsx json map txt lock "
    "html htm xml yaml yml toml ini cfg log csv wasm zip gz tgz whl".split()
)

# Mailboxes that are nobody's personal data, though they look like anyone's: on nearly every commit and
# pull request a coding agent or bot makes (``Co-Authored-By: Claude <noreply@anthropic.com>``, the
# git author of a GitHub App) and in every transactional mail. Lower-case, compared whole.
# * Local parts of no-reply senders (``noreply@github.com``, ``no-reply@acme-corp.com``): a mailbox
#   that by its name is read by no one. ``noreply.jane@…``, ``jane-noreply@…``, ``noreply+tag@…`` are
#   not these.
NO_REPLY_LOCAL_PARTS: frozenset[str] = frozenset(
    "noreply no-reply no_reply donotreply do-not-reply do_not_reply".split())
# * The privacy addresses GitHub and GitLab give their users for commits (``583231+octocat@users.
#   noreply.github.com``, ``1234-jane@users.noreply.gitlab.com``). They name an account whose login
#   is public anyway (it is in the address and on every commit page), deliver no mail, and exist so
#   the person's real address is not published: redacting them protects nothing and breaks every
#   commit an agent makes. The exact domain only: a subdomain or a look-alike is reported.
NO_REPLY_DOMAINS: frozenset[str] = frozenset({"users.noreply.github.com", "users.noreply.gitlab.com"})
# * The fixed identities coding agents and dependency bots commit and sign off with: a product's
#   address, the same on every commit of every user (Dependabot's ``Signed-off-by`` is GitHub's
#   support address).
BOT_COMMIT_ADDRESSES: frozenset[str] = frozenset(
    {"openhands@all-hands.dev", "support@github.com", "bot@renovateapp.com", "cursoragent@cursor.com"})

# Words that make a long or short bare digit run (13, 17-19 digits: barcodes, snowflake ids) a card:
# JSON key tokens, and words just before the number in prose.
CARD_KEY_TOKENS: frozenset[str] = frozenset(
    "card cards cc ccn pan credit debit cardnumber creditcard".split())
CARD_WORDS: frozenset[str] = frozenset(
    "card cards cc ccn pan credit debit visa mastercard amex maestro unionpay discover jcb".split())

# Phone words of scripts written without spaces between words (zh, ja) or with particles glued to
# the noun (ko: "휴대폰번호는"): found anywhere in the words before a number, not only between word
# boundaries. "手机" covers 手机号/手机号码, "电话" 电话号码/联系电话, "電話" 電話番号/携帯電話.
PHONE_WORDS_UNSPACED: frozenset[str] = frozenset(
    "手机 手機 电话 電話 座机 携帯 ケータイ 휴대폰 핸드폰 휴대전화 전화 연락처".split())
# ...and the words after one that make the number something else: a phone's model, serial, IMEI; an
# order (zh, ja, ko), as ``PHONE_NOT_NUMBER_TOKENS`` and ``IDENTIFIER_TOKENS`` do in other languages.
PHONE_NOT_NUMBER_WORDS_UNSPACED: frozenset[str] = frozenset(
    "型号 串号 序列号 订单 数量 機種 型番 製造番号 注文 모델 기종 일련번호 주문".split())
# Words that make a bare number a PII candidate (JSON key tokens or words just before the value).
PHONE_KEY_TOKENS: frozenset[str] = frozenset(
    "phone tel telephone mobile cell cellphone fax msisdn whatsapp sms landline "
    # the same words in the languages agents' users write in: de, fr, es, it, pt, nl
    "telefon telefonnummer handy handynummer mobil mobilnummer rufnummer festnetz "
    "téléphone telephone portable tél "
    "teléfono telefono móvil movil celular cellulare telefone telemóvel "
    "telefoon telefoonnummer mobiel "
    # ru, hi (words between spaces; the CJK ones are ``PHONE_WORDS_UNSPACED``)
    "телефон телефона телефону тел мобильный мобильного мобильник сотовый сотового "
    "मोबाइल फ़ोन फोन टेलीफोन".split()
) | PHONE_WORDS_UNSPACED
# Words in prose before a number that make it a phone number: the key tokens but "portable" (an
# ordinary English word before a model number) and the ones prose does not use.
PHONE_WORDS: frozenset[str] = PHONE_KEY_TOKENS - {"portable", "landline", "cellphone", "msisdn"}
# Phone words with another everyday reading: a spreadsheet's "cell C7", a "mobile app" / "Mobile
# checkout order", an "SMS batch" / "SMS gateway", English "handy". In prose they speak of a phone
# number only when nothing but ``PHONE_NUMBER_LEADS`` and punctuation stands between them and the
# number: "mobile: 415…", "cell 415…", "my cell is 415…", "mobile number 415…", "SMS me at 415…",
# "Handy-Nr. 0151…". ("cell phone 415…" is a phone number through "phone".)
PHONE_WORDS_ONLY_BEFORE_A_NUMBER: frozenset[str] = frozenset(
    "cell mobile mobil móvil movil mobiel sms handy "
    # ru "мобильное приложение", hi "मोबाइल ऐप": a mobile app
    "мобильный мобильного मोबाइल".split())
PHONE_NUMBER_LEADS: frozenset[str] = frozenset(
    "number numbers num no nr nro is at on to me us via "
    # de, fr, es/pt, it, nl, ru, hi
    "nummer ist numéro numero número est es è номер номера नंबर नम्बर".split()
)
# Nouns that name a code or a reference of something else: the number after or under one is that
# code even when it has a phone number's shape. Google Ads shows every customer ID as 123-456-7890
# ({"customer_id": "415-555-2671"}), SKUs and part numbers come as "650-253-0000", a phone's model,
# serial and IMEI are about a phone without being its number. Used three ways:
# * a JSON/form key holding one (or an id/count word, ``PHONE_NOT_NUMBER_TOKENS``) and no phone
#   word makes even a dashed "415-555-2671" no phone number; with both, the last one decides:
#   ``order_phone`` is a phone number, ``phone_serial`` and ``sms_batch`` are not;
# * between a phone word and the number it cancels the phone word, as the words above do: "Mobile
#   checkout order 415…", "phone model SM-S918B serial 415…";
# * as the label right before a number written with separators ("SKU 415-555-2671", "customer ID
#   415-555-2671", "order #415-555-2671"), unless a phone word or "call me" gives context.
# Singular on purpose: "Phone orders: 415-555-2671" is a phone line. Not "account" ("WhatsApp
# account 415…" is a number) nor "customer" ("Customer 415-555-2671 called").
IDENTIFIER_TOKENS: frozenset[str] = frozenset(
    "sku skus mpn gtin upc ean isbn issn asin part partno serial serialno model imei imsi iccid meid "
    "order invoice ticket batch build row col column ref reference code tracking confirmation booking "
    "reservation pnr shipment parcel awb transaction txn receipt voucher coupon lot seq sequence".split()
)
# A phone word does not make a number a phone number when the field or phrase names something
# measured or identified about phones: ``cell_count``, ``sms_sent_bytes``, ``phone_number_id`` (an
# id in WhatsApp's API), "cell count 4155552671". Key tokens, and words between a phone word and
# the number. "time" and "us" are not here: "phone me any time at…", "phone us at…".
PHONE_NOT_NUMBER_TOKENS: frozenset[str] = frozenset(
    "count counts total totals size sizes bytes byte bits kb mb gb length len id ids uuid guid uid "
    "duration elapsed latency ms ns secs sec seconds millis micros nanos mins minutes hours "
    "timestamp ts epoch rate ratio pct percent score index idx offset version hash sum avg mean "
    "max min limit quota pages tokens".split()
)
# "call" is a phone word only where it speaks of calling someone: "call me at 415…", "call us on",
# "call 415…", "call at 415…", "calling 415…". Between the verb and the number only these words
# (and ":" "," "(" "+" "-" or spaces) may stand, so "call took/returned/id/count 415…" is data.
CALL_FOLLOWERS: frozenset[str] = frozenset(
    "me us him her them you back now today tonight tomorrow anytime directly please at on".split()
)
# ...and never after a word that makes it a program's call: tool/function/API/method/RPC/system.
CALL_NOT_PHONE_QUALIFIERS: frozenset[str] = frozenset(
    "tool tools function functions fn func api apis method methods rpc grpc system sys procedure "
    "http https network llm model sdk library lib db database remote async sync recursive nested "
    "batch service webhook callback hook".split()
)
SSN_KEY_TOKENS: frozenset[str] = frozenset("ssn socialsecurity socialsecuritynumber ssnumber".split())
ITIN_KEY_TOKENS: frozenset[str] = frozenset("itin tin taxid taxpayerid taxpayer".split())
ABA_KEY_TOKENS: frozenset[str] = frozenset("aba routing rtn routingnumber abarouting transit".split())

# Regions tried for a national-format phone number (no "+") when the context says "phone".
PHONE_FALLBACK_REGIONS: tuple[str, ...] = (
    "US", "GB", "DE", "FR", "IN", "AU", "CA", "ES", "IT", "NL", "BR", "JP", "KR", "CN")
# Mobile numbers whose national form has no trunk "0" (the trunk-0 ones, Japan's 090-1234-5678
# and Korea's 010-1234-5678, are national numbers of ``PHONE_FALLBACK_REGIONS``): region → the
# number as written at home, grouping included. China 1[3-9] + 9 digits, bare or 3-4-4
# (139-1234-5678), India [6-9] + 9 digits, bare or 5-5 (98765 43210), Russia's trunk "8" + a
# mobile or geographic code (8 (916) 123-45-67). The grouping matters: the same digits grouped
# 1-3-3-4 are a NANP number ("1-800-555-0150" is no Chinese mobile). Found only after a phone word,
# and only when ``phonenumbers`` accepts the number for that region.
NATIONAL_MOBILES: tuple[tuple[str, str], ...] = (
    ("CN", "1[3-9][0-9](?:[0-9]{8}|-[0-9]{4}-[0-9]{4}| [0-9]{4} [0-9]{4})"),
    ("IN", "[6-9][0-9]{4}[ \\-]?[0-9]{5}"),
    ("RU", "8[ \\-]?(?:\\([3-9][0-9]{2}\\)|[3-9][0-9]{2})[ \\-]?[0-9]{3}[ \\-]?[0-9]{2}[ \\-]?[0-9]{2}"),
)

# National identity numbers (finding type → what names one). Key tokens as for the kinds above
# ("id_card" is read as id, card, idcard); words: what stands in the 40 characters before the value,
# matched between word boundaries, ``_UNSPACED`` ones anywhere (zh, ja, ko are not written with
# spaces between words). Which shapes need them is decided per type in ``pii._NATIONAL_IDS``.
NATIONAL_ID_KEY_TOKENS: dict[str, frozenset[str]] = {
    "CN_RESIDENT_ID": frozenset(
        "idcard idcardno idcardnumber idno idnumber sfz sfzh shenfenzheng shenfenzhenghao "
        "residentid residentidentity citizenid identitycard".split()),
    "IN_AADHAAR": frozenset("aadhaar aadhar adhaar aadhaarno aadhaarnumber uidai".split()),
    "IN_PAN": frozenset("pan panno pannumber pancard permanentaccountnumber".split()),
    "KR_RRN": frozenset(
        "rrn jumin juminno juminbeonho residentregistration residentregistrationnumber".split()),
    "JP_MY_NUMBER": frozenset("mynumber mynumbercard kojinbango kojinbangou individualnumber".split()),
}
NATIONAL_ID_WORDS: dict[str, frozenset[str]] = {
    "CN_RESIDENT_ID": frozenset(
        ["id card", "id no", "id number", "identity card", "resident identity", "citizen id",
         "shenfenzheng", "sfz"]),
    "IN_AADHAAR": frozenset(["aadhaar", "aadhar", "adhaar", "uidai", "आधार"]),
    "IN_PAN": frozenset(["pan", "pan card", "permanent account number", "पैन"]),
    "KR_RRN": frozenset(["rrn", "resident registration"]),
    "JP_MY_NUMBER": frozenset(["my number", "mynumber", "individual number", "kojin bango"]),
}
NATIONAL_ID_WORDS_UNSPACED: dict[str, frozenset[str]] = {
    "CN_RESIDENT_ID": frozenset("身份证 身份證 身份号码 公民身份".split()),
    "IN_AADHAAR": frozenset(),
    "IN_PAN": frozenset(),
    "KR_RRN": frozenset("주민등록번호 주민번호 주민등록".split()),
    "JP_MY_NUMBER": frozenset("マイナンバー 個人番号".split()),
}
# Words before a value written as a national id that say it is another number of the same shape:
# Korea's corporate registration number (법인등록번호, 110111-1234567) is written YYMMDD-like too.
NOT_NATIONAL_ID_WORDS: dict[str, frozenset[str]] = {
    "KR_RRN": frozenset("법인 사업자 corporate corporation business".split()),
}
# First two digits of a Chinese resident identity number: the province-level division (GB/T 2260),
# Taiwan (71), Hong Kong and Macau (81, 82) and 83 (residence permits for people from Taiwan).
CN_PROVINCE_CODES: frozenset[int] = frozenset(
    [*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55), *range(61, 66),
     71, 81, 82, 83])
# The fourth letter of an Indian PAN: the holder's status (Person, Company, HUF, Association of
# persons, Body of individuals, Government, artificial Juridical person, Local authority, Firm,
# Trust).
PAN_HOLDER_TYPES: frozenset[str] = frozenset("PCHABGJLFT")

# Phone numbers the numbering authorities reserve for fiction and documentation: no subscriber can
# ever hold one, and they fill test fixtures, docs and sample data the way test cards do. Country
# calling code -> national significant numbers (as ``phonenumbers`` gives them: no trunk 0),
# regular expressions matched whole. Sources:
# * NANP (country code 1): 555-0100 to 555-0199 in every area code, reserved for fictitious use (the
#   rest of 555 is assignable, so 555-1234 is still a number).
# * Ofcom's numbers for TV and radio drama: 0113-0118, 0121, 0131, 0141, 0151, 0161 496 0xxx,
#   0191 498 0xxx, 020 7946 0xxx, 029 2018 0xxx, 01632 960xxx, 07700 900xxx, 08081 570xxx,
#   0909 879 0xxx, 03069 990xxx (Northern Ireland's range is left out: sources disagree on it).
# * ACMA's numbers for use in creative works: thirty 0491 57x xxx mobile numbers and the landline
#   blocks (02/03/07/08) 5550 xxxx and 7010 xxxx.
_ACMA_FICTIONAL_MOBILES = (
    "491570006 491570156 491570157 491570158 491570159 491570110 491570313 491570737 491571266 "
    "491571491 491571804 491572549 491572665 491572983 491573770 491573087 491574118 491574632 "
    "491575254 491575789 491576398 491576801 491577426 491577644 491578957 491578148 491578888 "
    "491579212 491579760 491579455"
).split()
FICTIONAL_PHONE_NUMBERS: dict[int, tuple[str, ...]] = {
    1: (r"[2-9][0-9]{2}55501[0-9]{2}",),
    44: (
        r"1(?:1[3-8]|[2-6]1)4960[0-9]{3}", r"1914980[0-9]{3}", r"2079460[0-9]{3}", r"2920180[0-9]{3}",
        r"1632960[0-9]{3}", r"7700900[0-9]{3}", r"8081570[0-9]{3}", r"9098790[0-9]{3}", r"3069990[0-9]{3}",
    ),
    61: ("|".join(_ACMA_FICTIONAL_MOBILES), r"[2378](?:5550|7010)[0-9]{4}"),
}
