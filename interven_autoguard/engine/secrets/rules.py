"""The secret rule table: one row per credential format.

Each row says what to look for (``pattern``, value in the named group ``v`` or the whole match), which
lower-case ``keywords`` must occur in the text for the row to be worth running (the Aho-Corasick
prefilter — every match of ``pattern`` contains one of them, or the row is a "context" row that needs
the word somewhere in the text), and how to confirm a candidate (``validator``, ``min_entropy``).

Formats were collected from providers' documentation and public scanners' rule sets (gitleaks,
CredSweeper, Nosey Parker); patterns were written for this table, not copied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PRIORITY_SPECIFIC = 3  # self-identifying token formats (prefix + shape, often a checksum)
PRIORITY_STRUCTURED = 2  # structural detections (URIs with passwords, key blocks)
PRIORITY_CONTEXT = 1  # provider formats that need a nearby word ("datadog", "twilio")
PRIORITY_GENERIC = 0  # password=/secret=/token= with entropy gates


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    type: str
    provider: str | None
    keywords: tuple[str, ...]
    pattern: str
    validator: str | None = None
    min_entropy: float = 3.0
    severity: float = 0.9
    priority: int = PRIORITY_SPECIFIC
    # The match begins exactly where a keyword begins: try ``regex.match`` there and nowhere else.
    anchored: bool = False
    # Anchored rules only: the pattern of what follows the keyword (skips re-matching a long keyword
    # alternation at every occurrence).
    tail: str | None = None
    # A necessary condition for a match (RE2/Hyperscan syntax, case-insensitive) for the prefilter.
    # Default: the pattern itself, loosened (see ``prefilter_expression``).
    prefilter: str | None = None
    # Anchored rules: where a match can start, for the RE2 locator (default: ``prefilter``). Must
    # end before the value so that non-overlapping matches never hide a later key.
    locator: str | None = None
    # The keyword is context somewhere in the text ("twilio"), not part of the match: the prefilter
    # can only test for the keyword.
    keyword_anywhere: bool = False
    # Key-context: when the JSON key / header / parameter name contains one of these words, the whole
    # value is tested against ``key_value`` (full match).
    key_words: tuple[str, ...] = ()
    key_value: str | None = None
    check_placeholder: bool = True
    # Characters that must not touch the value (else it is part of a longer word): the kinds and
    # their characters before and after a value are in ``_engine._BOUNDARY_CHARS``.
    boundary: str = "alnum"
    # What the first, cheap pass looks for (see ``screen_expression``). Default: the prefilter
    # expression with its counted repeats made plain.
    screen: str | None = None

    def __repr__(self) -> str:  # rules carry no secret, but keep reprs short in logs
        return f"Rule({self.id})"


def _r(
    id: str, type: str, provider: str | None, keywords: str | tuple[str, ...], pattern: str, **kw: object
) -> Rule:
    kws = (keywords,) if isinstance(keywords, str) else keywords
    return Rule(id, type, provider, tuple(k.lower() for k in kws), pattern, **kw)  # type: ignore[arg-type]


# Rest of the key name (taken greedily, never backtracked into), optional quote, an assignment operator.
_ASSIGN = r"(?=(?P<kt>[\w.-]{0,30}))(?P=kt)[\"']?\s{0,3}(?:=>|:=|=|:)\s{0,3}[\"']?"
_LOOKAROUND = re.compile(r"\(\?<?[!=][^()]*\)")
_REPEAT = re.compile(r"\{(\d+)(,\d*)?\}")


def loosen(prefilter: str) -> str:
    """Cheaper necessary condition for Hyperscan/RE2: ``{a,b}`` → ``{min(a,16),}``, ``{n}`` → ``{min(n,16)}``.

    Bounded repeats are what makes Hyperscan compile slowly; any text matching the strict form also
    matches the loose one, so the prefilter stays sound.
    """

    def repl(m: re.Match[str]) -> str:
        return f"{{{min(int(m.group(1)), 16)},}}"

    return _REPEAT.sub(repl, prefilter)


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
_WS = r"\t\n\x0b\f\r\x20"  # Python's ASCII \s; RE2's \s lacks \v and Hyperscan's has it


def _explicit_whitespace(expr: str) -> str:
    """Spell ``\\s`` out so that Python, RE2 and Hyperscan agree on what whitespace is."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(expr):
        ch = expr[i]
        if ch == "\\" and i + 1 < len(expr):
            pair = expr[i : i + 2]
            if pair == "\\s":
                out.append(_WS if in_class else f"[{_WS}]")
            else:
                out.append(pair)
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
            out.append(ch)
            if expr[i + 1 : i + 2] == "^":  # "[^]" / "[]": a leading "]" is literal
                out.append("^")
                i += 1
            if expr[i + 1 : i + 2] == "]":
                out.append("]")
                i += 1
        elif ch == "]" and in_class:
            in_class = False
            out.append(ch)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def prefilter_expression(rule: Rule) -> str | None:
    """What the prefilter looks for on the rule's behalf; None = its literal keywords.

    Derived from the pattern: named groups become plain groups, lookarounds are dropped and bounded
    repeats loosened — every one of these only widens what matches, so a text the rule can match is
    always reported (the prefilter is sound; it may over-report, never under-report).
    """
    if rule.keyword_anywhere:
        return None
    source = rule.prefilter or _LOOKAROUND.sub("", _NAMED_GROUP.sub("(", rule.pattern))
    return loosen(_explicit_whitespace(source))


def screen_expression(rule: Rule) -> str | None:
    """A necessary condition of ``prefilter_expression(rule)`` without long counted repeats.

    Every outbound text goes through one automaton of all rules' screens (the triage, the first
    pass of ``may_match`` and of the prefilter), so it has to stay small on any text: counted
    repeats (``[0-9A-Za-z]{16,}``) make a DFA track each one's count, and all of them at once on
    base64 or random text is a product of counters that no cache holds (seconds per megabyte). A
    screen that fires is confirmed with the rule's own prefilter expression, alone, which is cheap.
    """
    if rule.keyword_anywhere:
        return None
    if rule.screen is not None:
        return _explicit_whitespace(rule.screen)
    return uncounted(prefilter_expression(rule))  # type: ignore[arg-type]


_COUNTED = re.compile(r"\{(\d+)(?:,\d*)?\}")


def uncounted(expression: str) -> str:
    """``expression`` with every counted repeat made plain: ``X{0,n}`` → ``X*``, ``X{k,…}`` → ``X+``.

    A necessary condition of ``expression`` (each ``X{k,…}`` match is an ``X+`` one) with no count
    to track. Escapes and character classes are copied unchanged (``[{}]`` is no repeat).
    """
    out: list[str] = []
    i, n = 0, len(expression)
    in_class = False
    while i < n:
        ch = expression[i]
        if ch == "\\":
            out.append(expression[i : i + 2])
            i += 2
            continue
        if in_class:
            # "]" right after "[" or "[^" is a literal member, not the end of the class
            in_class = ch != "]" or out[-1] in ("[", "[^")
            out.append(ch)
        elif ch == "[":
            in_class = True
            opener = "[^" if expression.startswith("[^", i) else "["
            out.append(opener)
            i += len(opener)
            continue
        else:
            m = _COUNTED.match(expression, i)
            if m is not None:
                out.append("*" if int(m.group(1)) == 0 else "+")
                i = m.end()
                continue
            out.append(ch)
        i += 1
    return "".join(out)


def locator_expression(rule: Rule) -> str:
    """Bounded (not loosened), so RE2 confirms each candidate start in constant time; it stops at
    the assignment, so iterating non-overlapping matches cannot skip a later key's start."""
    return _explicit_whitespace(rule.locator or rule.prefilter or "")


def _ctx(
    id: str,
    type: str,
    provider: str | None,
    words: tuple[str, ...],
    value: str,
    **kw: object,
) -> Rule:
    """A provider format that is not self-identifying: it needs one of ``words`` right before it
    (``DATADOG_API_KEY=…``, ``"twilio_auth_token": "…"``) or as the key of the field it sits in."""
    alt = "|".join(re.escape(w) for w in words)
    pattern = rf"(?i:{alt}){_ASSIGN}(?P<v>{value})"
    # Words + an assignment (the value is left to the Python regex). Bounded, so that the RE2 locator
    # built from it confirms a match in O(1); the Set/Hyperscan copy is loosened (``loosen``).
    prefilter = rf"(?:{alt})[\w.-]{{0,30}}[\"']?\s{{0,3}}[:=]"
    return Rule(
        id,
        type,
        provider,
        tuple(w.lower() for w in words),
        pattern,
        priority=PRIORITY_CONTEXT,
        anchored=True,
        prefilter=prefilter,
        key_words=tuple(w.lower() for w in words),
        key_value=value,
        **kw,  # type: ignore[arg-type]
    )


# A key block's body stops at the next "-----" (its END line, or another BEGIN): a text of many
# BEGIN lines without END costs linear time, not (lines × 16000).
_KEY_BODY = r"(?:[^-]|-(?!----))"
_B62 = "[0-9A-Za-z]"
_B64U = "[0-9A-Za-z_-]"
_HEX32 = "[0-9a-fA-F]{32}"
_UUIDV = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

# Discord's loosened pattern "[MNO]C{16,}\.C{6,}\.C{16,}" (C = the token alphabet) starts with a
# letter of C itself: in base64 or random text every M/N/O inside a run starts a counter of its own,
# so the automaton tracks which of the last 16 characters were M/N/O (2^16 states, it crawls). The
# same condition, counted from the first M/N/O of a run only (a later start sees a shorter run up
# to the same dot, so if any start matches, the first one does): one counter per run.
_DISCORD_RUN = "A-Za-z0-9_-"
_DISCORD_PREFILTER = (
    rf"(?:^|[^{_DISCORD_RUN}])[A-LP-Za-lp-z0-9_-]*[MNO][{_DISCORD_RUN}]{{16,}}"
    rf"\.[{_DISCORD_RUN}]{{6,}}\.[{_DISCORD_RUN}]{{16,}}"
)

RULES: tuple[Rule, ...] = (
    # ---------------------------------------------------------------- cloud: AWS
    _r(
        "aws-access-key-id",
        "AWS_ACCESS_KEY",
        "aws",
        ("akia", "asia", "abia", "acca", "a3t"),
        r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}",
        min_entropy=2.8,
    ),
    # A 40-char secret within the next dozen tokens after an access key id. The gap is walked token by
    # token (a run of key characters or of other characters, taken atomically), so an attempt costs
    # O(gap) rather than O(gap × 40).
    _r(
        "aws-secret-near-key-id",
        "AWS_SECRET_KEY",
        "aws",
        ("akia", "asia"),
        r"(?:AKIA|ASIA)[A-Z2-7]{16}(?:(?=(?P<t>[A-Za-z0-9/+=]{1,200}|[^A-Za-z0-9/+=]{1,200}))(?P=t)){1,12}?"
        r"(?<![A-Za-z0-9/+=])(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        prefilter=r"(?:AKIA|ASIA)[A-Z2-7]{16}",
        validator="aws-secret",
        min_entropy=4.0,
        priority=PRIORITY_CONTEXT,
        anchored=True,
    ),
    _ctx(
        "aws-secret-access-key",
        "AWS_SECRET_KEY",
        "aws",
        (
            "aws_secret",
            "aws-secret",
            "awssecret",
            "secret_access_key",
            "secretaccesskey",
            "secret-access-key",
        ),
        r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])",
        validator="aws-secret",
        min_entropy=4.0,
    ),
    _ctx(
        "aws-session-token",
        "AWS_SESSION_TOKEN",
        "aws",
        ("aws_session_token", "aws-session-token", "sessiontoken", "security_token", "x-amz-security-token"),
        r"[A-Za-z0-9/+]{100,1200}={0,2}",
        min_entropy=4.0,
    ),
    # ---------------------------------------------------------------- source hosting
    _r("github-pat", "GITHUB_PAT", "github", "ghp_", rf"ghp_{_B62}{{36}}", validator="base62-crc32"),
    _r(
        "github-oauth-token",
        "GITHUB_OAUTH_TOKEN",
        "github",
        "gho_",
        rf"gho_{_B62}{{36}}",
        validator="base62-crc32",
    ),
    _r(
        "github-user-to-server-token",
        "GITHUB_APP_TOKEN",
        "github",
        "ghu_",
        rf"ghu_{_B62}{{36}}",
        validator="base62-crc32",
    ),
    _r(
        "github-server-to-server-token",
        "GITHUB_APP_TOKEN",
        "github",
        "ghs_",
        rf"ghs_{_B62}{{36}}",
        validator="base62-crc32",
    ),
    _r(
        "github-refresh-token",
        "GITHUB_REFRESH_TOKEN",
        "github",
        "ghr_",
        rf"ghr_{_B62}{{36}}",
        validator="base62-crc32",
    ),
    _r(
        "github-fine-grained-pat",
        "GITHUB_PAT",
        "github",
        "github_pat_",
        rf"github_pat_{_B62}{{22}}_{_B62}{{59}}",
        min_entropy=4.0,
    ),
    _r(
        "gitlab-pat",
        "GITLAB_TOKEN",
        "gitlab",
        "glpat-",
        rf"glpat-{_B64U}{{20,300}}(?:\.{_B64U}{{1,20}}){{0,2}}",
    ),
    _r("gitlab-pipeline-trigger-token", "GITLAB_TOKEN", "gitlab", "glptt-", r"glptt-[0-9a-f]{40}"),
    _r("gitlab-deploy-token", "GITLAB_TOKEN", "gitlab", "gldt-", rf"gldt-{_B64U}{{20,64}}"),
    _r(
        "gitlab-runner-token",
        "GITLAB_TOKEN",
        "gitlab",
        "glrt-",
        rf"glrt-{_B64U}{{20,300}}(?:\.{_B64U}{{1,20}}){{0,2}}",
    ),
    _r(
        "gitlab-runner-registration-token",
        "GITLAB_TOKEN",
        "gitlab",
        "gr1348941",
        rf"GR1348941{_B64U}{{20,40}}",
    ),
    _r(
        "gitlab-cicd-job-token",
        "GITLAB_TOKEN",
        "gitlab",
        "glcbt-",
        rf"glcbt-[0-9a-fA-F]{{1,5}}_{_B64U}{{20,64}}",
    ),
    _r("gitlab-oauth-app-secret", "GITLAB_TOKEN", "gitlab", "gloas-", rf"gloas-{_B64U}{{64}}"),
    _r("gitlab-feed-token", "GITLAB_TOKEN", "gitlab", "glft-", rf"glft-{_B64U}{{20,64}}"),
    _r("gitlab-incoming-mail-token", "GITLAB_TOKEN", "gitlab", "glimt-", rf"glimt-{_B64U}{{25}}"),
    _r("gitlab-scim-token", "GITLAB_TOKEN", "gitlab", "glsoat-", rf"glsoat-{_B64U}{{20,64}}"),
    _r("gitlab-agent-token", "GITLAB_TOKEN", "gitlab", "glagent-", rf"glagent-{_B64U}{{50,64}}"),
    _r(
        "bitbucket-app-password",
        "ATLASSIAN_TOKEN",
        "atlassian",
        "atbb",
        rf"ATBB{_B62}{{24}}[0-9A-Fa-f]{{8}}",
        validator="atlassian-crc32",
    ),
    _r(
        "atlassian-api-token",
        "ATLASSIAN_TOKEN",
        "atlassian",
        "atatt3",
        r"ATATT3[A-Za-z0-9_=-]{100,300}=[0-9A-Fa-f]{8}",
        validator="atlassian-crc32",
        boundary="alnum_",
    ),
    _r(
        "atlassian-admin-token",
        "ATLASSIAN_TOKEN",
        "atlassian",
        "atctt3",
        r"ATCTT3[A-Za-z0-9_=-]{100,300}=[0-9A-Fa-f]{8}",
        validator="atlassian-crc32",
        boundary="alnum_",
    ),
    # ---------------------------------------------------------------- chat & messaging
    _r(
        "slack-bot-token", "SLACK_TOKEN", "slack", "xoxb-", r"xoxb-[0-9]{8,14}-[0-9]{8,14}-[0-9A-Za-z]{20,34}"
    ),
    _r(
        "slack-user-token",
        "SLACK_TOKEN",
        "slack",
        ("xoxp-", "xoxe-"),
        r"xox[pe](?:-[0-9]{8,14}){3}-[0-9A-Za-z]{28,34}",
    ),
    _r(
        "slack-app-token", "SLACK_TOKEN", "slack", "xapp-", r"xapp-\d-[A-Z0-9]{8,14}-\d{8,14}-[a-z0-9]{32,80}"
    ),
    _r(
        "slack-legacy-token",
        "SLACK_TOKEN",
        "slack",
        ("xoxa-", "xoxr-", "xoxo-", "xoxs-"),
        r"xox[aros]-(?:\d+-){1,3}[0-9A-Za-z]{8,64}",
    ),
    _r("slack-config-token", "SLACK_TOKEN", "slack", "xoxe.xox", r"xoxe\.xox[bp]-\d-[A-Z0-9]{150,180}"),
    _r(
        "slack-webhook-url",
        "SLACK_WEBHOOK",
        "slack",
        "hooks.slack.com",
        r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{30,100}",
    ),
    _r(
        "discord-webhook-url",
        "DISCORD_WEBHOOK",
        "discord",
        "discord",
        r"https?://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{16,21}/[A-Za-z0-9_-]{60,70}",
    ),
    # Discord bot tokens are not self-identifying: require the word in the text, prove the id segment.
    _r(
        "discord-bot-token",
        "DISCORD_BOT_TOKEN",
        "discord",
        "discord",
        r"[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}",
        validator="discord-bot",
        priority=PRIORITY_CONTEXT,
        prefilter=_DISCORD_PREFILTER,
    ),
    _r("telegram-bot-token", "TELEGRAM_BOT_TOKEN", "telegram", ":aa", r"\d{8,10}:AA[0-9A-Za-z_-]{33}",
       boundary="digits"),
    # ---------------------------------------------------------------- payments & commerce
    _r(
        "stripe-secret-key",
        "STRIPE_SECRET_KEY",
        "stripe",
        ("sk_live_", "sk_test_"),
        rf"sk_(?:live|test)_{_B62}{{20,247}}",
    ),
    _r(
        "stripe-restricted-key",
        "STRIPE_RESTRICTED_KEY",
        "stripe",
        ("rk_live_", "rk_test_"),
        rf"rk_(?:live|test)_{_B62}{{20,247}}",
    ),
    _r("stripe-webhook-secret", "STRIPE_WEBHOOK_SECRET", "stripe", "whsec_", rf"whsec_{_B62}{{32,64}}"),
    _r("shopify-access-token", "SHOPIFY_TOKEN", "shopify", "shpat_", r"shpat_[a-fA-F0-9]{32}"),
    _r("shopify-custom-app-token", "SHOPIFY_TOKEN", "shopify", "shpca_", r"shpca_[a-fA-F0-9]{32}"),
    _r("shopify-private-app-token", "SHOPIFY_TOKEN", "shopify", "shppa_", r"shppa_[a-fA-F0-9]{32}"),
    _r("shopify-shared-secret", "SHOPIFY_TOKEN", "shopify", "shpss_", r"shpss_[a-fA-F0-9]{32}"),
    _r(
        "square-access-token",
        "SQUARE_TOKEN",
        "square",
        ("eaaa", "sq0atp-"),
        r"(?:EAAA[A-Za-z0-9_-]{60}|sq0atp-[A-Za-z0-9_-]{22})",
    ),
    _r("square-oauth-secret", "SQUARE_TOKEN", "square", "sq0csp-", rf"sq0csp-{_B64U}{{43}}"),
    _r(
        "braintree-access-token",
        "PAYPAL_TOKEN",
        "paypal",
        ("access_token$production$", "access_token$sandbox$"),
        r"access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}",
    ),
    _r(
        "flutterwave-secret-key",
        "FLUTTERWAVE_KEY",
        "flutterwave",
        "flwseck",
        r"FLWSECK(?:_TEST)?-[a-fA-F0-9]{32}-X",
    ),
    _r("easypost-api-key", "EASYPOST_KEY", "easypost", "ezak", r"EZ[AT]K[A-Za-z0-9]{54}"),
    _r("shippo-api-token", "SHIPPO_TOKEN", "shippo", "shippo_", r"shippo_(?:live|test)_[a-fA-F0-9]{40}"),
    # ---------------------------------------------------------------- AI providers
    _r(
        "openai-project-key",
        "OPENAI_API_KEY",
        "openai",
        "sk-proj-",
        rf"sk-proj-{_B64U}{{40,250}}",
        min_entropy=4.0,
    ),
    _r(
        "openai-service-account-key",
        "OPENAI_API_KEY",
        "openai",
        "sk-svcacct-",
        rf"sk-svcacct-{_B64U}{{40,250}}",
        min_entropy=4.0,
    ),
    _r(
        "openai-admin-key",
        "OPENAI_API_KEY",
        "openai",
        "sk-admin-",
        rf"sk-admin-{_B64U}{{40,250}}",
        min_entropy=4.0,
    ),
    _r("openai-legacy-key", "OPENAI_API_KEY", "openai", "t3blbkfj", rf"sk-{_B62}{{20}}T3BlbkFJ{_B62}{{20}}"),
    _r(
        "anthropic-api-key",
        "ANTHROPIC_API_KEY",
        "anthropic",
        "sk-ant-api03-",
        rf"sk-ant-api03-{_B64U}{{93}}AA",
        min_entropy=4.0,
    ),
    _r(
        "anthropic-admin-key",
        "ANTHROPIC_API_KEY",
        "anthropic",
        "sk-ant-admin01-",
        rf"sk-ant-admin01-{_B64U}{{93}}AA",
        min_entropy=4.0,
    ),
    _r(
        "anthropic-oauth-token",
        "ANTHROPIC_API_KEY",
        "anthropic",
        ("sk-ant-oat01-", "sk-ant-ort01-"),
        rf"sk-ant-o[ar]t01-{_B64U}{{40,200}}",
        min_entropy=4.0,
    ),
    _r("google-api-key", "GOOGLE_API_KEY", "google", "aiza", rf"AIza{_B64U}{{35}}", boundary="alnum_"),
    _r("google-oauth-client-secret", "GOOGLE_OAUTH_SECRET", "google", "gocspx-", rf"GOCSPX-{_B64U}{{28}}"),
    _r(
        "google-oauth-access-token",
        "GOOGLE_OAUTH_TOKEN",
        "google",
        "ya29.",
        rf"ya29\.{_B64U}{{30,2048}}",
        min_entropy=3.5,
    ),
    _r(
        "google-oauth-refresh-token",
        "GOOGLE_OAUTH_TOKEN",
        "google",
        "1//0",
        rf"1//0{_B64U}{{40,512}}",
        min_entropy=3.5,
    ),
    _r(
        "gcp-service-account-key",
        "GCP_SERVICE_ACCOUNT",
        "google",
        "service_account",
        r"\"private_key\"\s*:\s*\"(?P<v>-----BEGIN (?:RSA )?PRIVATE KEY-----[^\"]{64,8000}?"
        r"-----END (?:RSA )?PRIVATE KEY-----(?:\\n)?)\"",
        validator="private-key",
        priority=PRIORITY_SPECIFIC + 1,
        check_placeholder=False,
        keyword_anywhere=True,
    ),
    _r("huggingface-access-token", "HUGGINGFACE_TOKEN", "huggingface", "hf_", r"hf_[A-Za-z]{34}"),
    _r("huggingface-org-token", "HUGGINGFACE_TOKEN", "huggingface", "api_org_", r"api_org_[A-Za-z]{34}"),
    _r("groq-api-key", "GROQ_API_KEY", "groq", "gsk_", rf"gsk_{_B62}{{52}}"),
    _r("xai-api-key", "XAI_API_KEY", "xai", "xai-", rf"xai-{_B62}{{80}}"),
    _r("replicate-api-token", "REPLICATE_API_TOKEN", "replicate", "r8_", rf"r8_{_B62}{{37}}"),
    _r("openrouter-api-key", "OPENROUTER_API_KEY", "openrouter", "sk-or-v1-", r"sk-or-v1-[a-f0-9]{64}"),
    _r(
        "langsmith-api-key",
        "LANGSMITH_API_KEY",
        "langsmith",
        ("lsv2_pt_", "lsv2_sk_"),
        r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}",
    ),
    _r(
        "langfuse-secret-key",
        "LANGFUSE_KEY",
        "langfuse",
        "sk-lf-",
        rf"sk-lf-{_UUIDV}",
        check_placeholder=True,
    ),
    _r("perplexity-api-key", "PERPLEXITY_API_KEY", "perplexity", "pplx-", rf"pplx-{_B62}{{48}}"),
    _r("fireworks-api-key", "FIREWORKS_API_KEY", "fireworks", "fw_", rf"fw_{_B62}{{24}}"),
    _r("cerebras-api-key", "CEREBRAS_API_KEY", "cerebras", "csk-", r"csk-[a-z0-9]{48}"),
    _r("nvidia-api-key", "NVIDIA_API_KEY", "nvidia", "nvapi-", rf"nvapi-{_B64U}{{64}}"),
    _r("pinecone-api-key", "PINECONE_API_KEY", "pinecone", "pcsk_", rf"pcsk_{_B62}{{4,8}}_{_B62}{{50,80}}"),
    _r("tavily-api-key", "TAVILY_API_KEY", "tavily", "tvly-", rf"tvly-(?:dev-|prod-)?{_B62}{{32}}"),
    _r("firecrawl-api-key", "FIRECRAWL_API_KEY", "firecrawl", "fc-", r"fc-[a-f0-9]{32}"),
    # PostHog's personal API key (its project key, phc_, is public by design: validators.PUBLIC_KEY)
    _r("posthog-personal-api-key", "POSTHOG_API_KEY", "posthog", "phx_", r"phx_[0-9A-Za-z_]{40,50}"),
    _r("anyscale-api-key", "ANYSCALE_API_KEY", "anyscale", "esecret_", rf"esecret_{_B62}{{26}}"),
    _ctx(
        "cohere-api-key",
        "COHERE_API_KEY",
        "cohere",
        ("cohere", "co_api_key"),
        rf"{_B62}{{40}}(?![0-9A-Za-z])",
    ),
    _ctx("mistral-api-key", "MISTRAL_API_KEY", "mistral", ("mistral",), rf"{_B62}{{32}}(?![0-9A-Za-z])"),
    _ctx(
        "deepseek-api-key", "DEEPSEEK_API_KEY", "deepseek", ("deepseek",), r"sk-[a-f0-9]{32}(?![0-9A-Za-z])"
    ),
    _ctx(
        "together-api-key",
        "TOGETHER_API_KEY",
        "together",
        ("together",),
        r"(?:tgp_v1_)?[a-zA-Z0-9_-]{43,64}"
        r"(?![0-9A-Za-z])",
    ),
    _ctx(
        "elevenlabs-api-key",
        "ELEVENLABS_API_KEY",
        "elevenlabs",
        ("elevenlabs", "xi-api-key", "xi_api_key"),
        r"(?:sk_)?[a-f0-9]{32,48}(?![0-9A-Za-z])",
    ),
    _ctx("wandb-api-key", "WANDB_API_KEY", "wandb", ("wandb",), r"[a-f0-9]{40}(?![0-9A-Za-z])"),
    # ---------------------------------------------------------------- observability
    _ctx(
        "datadog-api-key",
        "DATADOG_API_KEY",
        "datadog",
        ("datadog", "dd_api_key", "dd-api-key", "ddapikey"),
        r"[a-f0-9]{32}(?![0-9A-Za-z])",
    ),
    _ctx(
        "datadog-app-key",
        "DATADOG_APP_KEY",
        "datadog",
        ("dd_app_key", "dd-application-key", "dd_application_key", "datadog_app_key", "ddappkey"),
        r"[a-f0-9]{40}(?![0-9A-Za-z])",
    ),
    _r(
        "grafana-service-account-token",
        "GRAFANA_TOKEN",
        "grafana",
        "glsa_",
        rf"glsa_{_B62}{{32}}_[0-9a-fA-F]{{8}}",
        validator="grafana-crc32",
    ),
    _r(
        "grafana-cloud-token",
        "GRAFANA_TOKEN",
        "grafana",
        "glc_ey",
        r"glc_eyJ[A-Za-z0-9+/_-]{32,400}={0,2}",
        validator="base64-json",
    ),
    _r("grafana-api-key", "GRAFANA_TOKEN", "grafana", "eyjrijoi", r"eyJrIjoi[A-Za-z0-9]{60,100}={0,2}"),
    _r("sentry-user-token", "SENTRY_TOKEN", "sentry", "sntryu_", r"sntryu_[a-f0-9]{64}"),
    _r("sentry-org-token", "SENTRY_TOKEN", "sentry", "sntrys_", r"sntrys_eyJ[A-Za-z0-9+/=_-]{60,400}"),
    _r("newrelic-user-api-key", "NEWRELIC_KEY", "newrelic", "nrak-", r"NRAK-[A-Z0-9]{27}"),
    _r("newrelic-insert-key", "NEWRELIC_KEY", "newrelic", "nrii-", rf"NRII-{_B64U}{{32}}"),
    _r("newrelic-browser-key", "NEWRELIC_KEY", "newrelic", "nrjs-", r"NRJS-[a-f0-9]{19}", severity=0.5),
    _ctx(
        "newrelic-license-key",
        "NEWRELIC_KEY",
        "newrelic",
        ("newrelic", "new_relic", "new-relic", "nr_license"),
        r"[a-f0-9]{36}NRAL|[a-f0-9]{40}(?![0-9A-Za-z])",
    ),
    _r(
        "dynatrace-api-token",
        "DYNATRACE_TOKEN",
        "dynatrace",
        "dt0c01.",
        r"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}",
    ),
    _ctx(
        "honeycomb-api-key",
        "HONEYCOMB_KEY",
        "honeycomb",
        ("honeycomb", "x-honeycomb-team"),
        rf"{_B62}{{22}}(?![0-9A-Za-z])|hc[a-z]ik_[0-9a-z]{{58}}",
    ),
    # ---------------------------------------------------------------- infrastructure & hosting
    _r("digitalocean-pat", "DIGITALOCEAN_TOKEN", "digitalocean", "dop_v1_", r"dop_v1_[a-f0-9]{64}"),
    _r("digitalocean-oauth-token", "DIGITALOCEAN_TOKEN", "digitalocean", "doo_v1_", r"doo_v1_[a-f0-9]{64}"),
    _r("digitalocean-refresh-token", "DIGITALOCEAN_TOKEN", "digitalocean", "dor_v1_", r"dor_v1_[a-f0-9]{64}"),
    _r("databricks-api-token", "DATABRICKS_TOKEN", "databricks", "dapi", r"dapi[a-f0-9]{32}(?:-\d)?"),
    _r("vault-service-token", "VAULT_TOKEN", "vault", "hvs.", rf"hvs\.{_B64U}{{90,300}}"),
    _r("vault-batch-token", "VAULT_TOKEN", "vault", "hvb.", rf"hvb\.{_B64U}{{90,400}}"),
    _r("vault-recovery-token", "VAULT_TOKEN", "vault", "hvr.", rf"hvr\.{_B64U}{{20,300}}"),
    _ctx(
        "vault-legacy-token",
        "VAULT_TOKEN",
        "vault",
        ("vault_token", "vault-token", "x-vault-token"),
        rf"s\.{_B62}{{24}}(?![0-9A-Za-z])",
    ),
    _r(
        "terraform-cloud-token",
        "TERRAFORM_TOKEN",
        "terraform",
        "atlasv1",
        rf"{_B62}{{14}}\.atlasv1\.{_B64U}{{60,70}}",
        boundary="alnum_",
    ),
    _r("pulumi-access-token", "PULUMI_TOKEN", "pulumi", "pul-", r"pul-[a-f0-9]{40}"),
    _r(
        "doppler-token",
        "DOPPLER_TOKEN",
        "doppler",
        ("dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."),
        rf"dp\.(?:pt|st|sa|ct|scim|audit)\.(?:[a-z0-9_-]{{1,40}}\.)?{_B62}{{40,44}}",
    ),
    _r(
        "onepassword-service-account-token",
        "ONEPASSWORD_TOKEN",
        "1password",
        "ops_eyj",
        r"ops_eyJ[A-Za-z0-9+/_-]{200,1500}={0,2}",
        validator="base64-json",
    ),
    _r(
        "onepassword-secret-key",
        "ONEPASSWORD_SECRET_KEY",
        "1password",
        "a3-",
        r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}",
        min_entropy=3.5,
    ),
    _r(
        "cloudflare-origin-ca-key",
        "CLOUDFLARE_TOKEN",
        "cloudflare",
        "v1.0-",
        r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}",
    ),
    _ctx(
        "cloudflare-api-token",
        "CLOUDFLARE_TOKEN",
        "cloudflare",
        ("cloudflare", "cf_api_token", "cf_api_key"),
        rf"{_B64U}{{40}}(?![0-9A-Za-z_-])|[a-f0-9]{{37}}(?![0-9A-Za-z])",
    ),
    _r("heroku-api-key-v2", "HEROKU_API_KEY", "heroku", "hrku-", rf"HRKU-AA{_B64U}{{58}}"),
    _ctx("heroku-api-key", "HEROKU_API_KEY", "heroku", ("heroku",), _UUIDV + "(?![0-9A-Za-z])"),
    _ctx(
        "netlify-access-token",
        "NETLIFY_TOKEN",
        "netlify",
        ("netlify",),
        rf"{_B64U}{{40,46}}(?![0-9A-Za-z_-])",
    ),
    _r("netlify-pat", "NETLIFY_TOKEN", "netlify", "nfp_", rf"nfp_{_B62}{{36}}"),
    _ctx("vercel-token", "VERCEL_TOKEN", "vercel", ("vercel",), rf"{_B62}{{24}}(?![0-9A-Za-z])"),
    _r(
        "vercel-scoped-token",
        "VERCEL_TOKEN",
        "vercel",
        ("vcp_", "vci_", "vca_", "vcr_", "vck_"),
        rf"vc[pciark]_{_B62}{{56,64}}",
    ),
    _r("supabase-access-token", "SUPABASE_TOKEN", "supabase", "sbp_", r"sbp_[a-f0-9]{40}"),
    _r("supabase-secret-key", "SUPABASE_TOKEN", "supabase", "sb_secret_", rf"sb_secret_{_B64U}{{31,64}}"),
    _r(
        "flyio-token",
        "FLYIO_TOKEN",
        "flyio",
        ("flyv1 fm", "fo1_", "fm1r_", "fm2_"),
        rf"(?:FlyV1 fm\d+_[A-Za-z0-9+/=,_-]{{100,}}|fo1_{_B64U}{{43}}|fm[12][ar]?_[A-Za-z0-9+/=_-]{{100,}})",
    ),
    _ctx("railway-api-token", "RAILWAY_TOKEN", "railway", ("railway",), _UUIDV + "(?![0-9A-Za-z])"),
    _r("render-api-key", "RENDER_API_KEY", "render", "rnd_", rf"rnd_{_B62}{{32}}"),
    _r(
        "firebase-cloud-messaging-key",
        "FIREBASE_KEY",
        "google",
        "apa91b",
        rf"AAAA{_B64U}{{7}}:APA91b{_B64U}{{134}}",
    ),
    _r("alibaba-access-key-id", "ALIBABA_ACCESS_KEY", "alibaba", "ltai", rf"LTAI{_B62}{{12,20}}"),
    _ctx(
        "alibaba-secret-key",
        "ALIBABA_SECRET_KEY",
        "alibaba",
        ("alibaba", "aliyun", "access_key_secret", "accesskeysecret"),
        rf"{_B62}{{30}}(?![0-9A-Za-z])",
    ),
    _r("tencent-secret-id", "TENCENT_SECRET_ID", "tencent", "akid", rf"AKID{_B62}{{13,40}}"),
    _r(
        "azure-storage-account-key",
        "AZURE_STORAGE_KEY",
        "azure",
        "accountkey=",
        r"(?i:AccountKey=)(?P<v>[A-Za-z0-9+/]{86}==)",
        check_placeholder=False,
    ),
    _r(
        "azure-shared-access-key",
        "AZURE_STORAGE_KEY",
        "azure",
        "sharedaccesskey=",
        r"(?i:SharedAccessKey=)(?P<v>[A-Za-z0-9+/]{43}=)",
    ),
    _r(
        "azure-ad-client-secret",
        "AZURE_CLIENT_SECRET",
        "azure",
        "q~",
        r"[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}",
        boundary="azure",
    ),
    _r(
        "docker-hub-pat",
        "DOCKER_TOKEN",
        "docker",
        ("dckr_pat_", "dckr_oat_"),
        rf"dckr_(?:pat|oat)_{_B64U}{{27,36}}",
    ),
    _r("jfrog-api-key", "JFROG_TOKEN", "jfrog", "akcp", rf"AKCp{_B62}{{69}}"),
    _r("jfrog-reference-token", "JFROG_TOKEN", "jfrog", "cmvmdgtu", rf"cmVmdGtu{_B62}{{56}}"),
    _r(
        "circleci-token",
        "CIRCLECI_TOKEN",
        "circleci",
        ("ccipat_", "cciprj_"),
        rf"CCIP(?:AT|RJ)_{_B62}{{22}}_[a-f0-9]{{40}}",
    ),
    _r("buildkite-token", "BUILDKITE_TOKEN", "buildkite", "bkua_", r"bkua_[a-f0-9]{40}"),
    _r("npm-access-token", "NPM_TOKEN", "npm", "npm_", rf"npm_{_B62}{{36}}", validator="base62-crc32"),
    _r(
        "pypi-upload-token",
        "PYPI_TOKEN",
        "pypi",
        ("pypi-ageichlwas5vcmc", "pypi-agenzgvzdc5wexbplm9yzw"),
        rf"pypi-Ag(?:EIcHlwaS5vcmc|ENdGVzdC5weXBpLm9yZw){_B64U}{{50,400}}",
    ),
    _r("rubygems-api-key", "RUBYGEMS_TOKEN", "rubygems", "rubygems_", r"rubygems_[a-f0-9]{48}"),
    _r("clojars-token", "CLOJARS_TOKEN", "clojars", "clojars_", r"CLOJARS_[a-z0-9]{60}"),
    _r("nuget-api-key", "NUGET_TOKEN", "nuget", "oy2", r"oy2[a-z0-9]{43}", min_entropy=3.5),
    _r("prefect-api-key", "PREFECT_TOKEN", "prefect", "pnu_", rf"pnu_{_B62}{{36}}"),
    _r("readme-api-key", "README_TOKEN", "readme", "rdme_", r"rdme_[a-z0-9]{70}"),
    _r(
        "planetscale-token",
        "PLANETSCALE_TOKEN",
        "planetscale",
        "pscale_",
        r"pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.=-]{32,64}",
    ),
    _r("scalingo-api-token", "SCALINGO_TOKEN", "scalingo", "tk-us-", rf"tk-us-{_B64U}{{48}}"),
    _r("infracost-api-token", "INFRACOST_TOKEN", "infracost", "ico-", rf"ico-{_B62}{{32}}"),
    _r(
        "harness-api-key",
        "HARNESS_TOKEN",
        "harness",
        ("pat.", "sat."),
        rf"(?:pat|sat)\.{_B64U}{{22}}\.[0-9a-f]{{24}}\.{_B62}{{20}}",
    ),
    # ---------------------------------------------------------------- SaaS & productivity
    _r("linear-api-key", "LINEAR_API_KEY", "linear", "lin_api_", rf"lin_api_{_B62}{{40}}"),
    _r(
        "notion-integration-token",
        "NOTION_TOKEN",
        "notion",
        ("secret_", "ntn_"),
        rf"(?:secret_{_B62}{{43}}|ntn_\d{{11}}{_B62}{{32,35}})",
        min_entropy=3.5,
    ),
    _r("postman-api-key", "POSTMAN_API_KEY", "postman", "pmak-", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}"),
    _r("figma-pat", "FIGMA_TOKEN", "figma", ("figd_", "figo_"), rf"fig[do]_{_B64U}{{40,64}}"),
    _ctx(
        "asana-pat",
        "ASANA_TOKEN",
        "asana",
        ("asana",),
        r"[0-9]/[0-9]{16}:[A-Za-z0-9]{32}"
        r"|[0-9]/[0-9]{16}/[0-9]{16}:[A-Za-z0-9]{32}",
    ),
    _ctx("okta-api-token", "OKTA_TOKEN", "okta", ("okta",), rf"00{_B64U}{{40}}(?![0-9A-Za-z_-])"),
    _r("contentful-pat", "CONTENTFUL_TOKEN", "contentful", "cfpat-", rf"CFPAT-{_B64U}{{43}}"),
    _r("typeform-pat", "TYPEFORM_TOKEN", "typeform", "tfp_", r"tfp_[A-Za-z0-9_.=-]{59}"),
    _r("frameio-api-token", "FRAMEIO_TOKEN", "frameio", "fio-u-", r"fio-u-[A-Za-z0-9_=-]{64}"),
    _r("dropbox-access-token", "DROPBOX_TOKEN", "dropbox", "sl.", rf"sl\.(?:u\.)?{_B64U}{{130,1400}}"),
    _ctx("snyk-api-token", "SNYK_TOKEN", "snyk", ("snyk",), _UUIDV + "(?![0-9A-Za-z])"),
    _ctx("twitch-api-token", "TWITCH_TOKEN", "twitch", ("twitch",), r"[a-z0-9]{30}(?![0-9A-Za-z])"),
    _r("mapbox-secret-token", "MAPBOX_TOKEN", "mapbox", "sk.eyj", rf"sk\.eyJ{_B64U}{{20,}}\.{_B64U}{{20,}}"),
    _ctx("algolia-admin-key", "ALGOLIA_KEY", "algolia", ("algolia",), r"[a-f0-9]{32}(?![0-9A-Za-z])"),
    _ctx(
        "airtable-api-key",
        "AIRTABLE_TOKEN",
        "airtable",
        ("airtable",),
        rf"pat{_B62}{{14}}\.[a-f0-9]{{64}}|key{_B62}{{14}}(?![0-9A-Za-z])",
    ),
    _ctx(
        "mailchimp-api-key",
        "MAILCHIMP_KEY",
        "mailchimp",
        ("mailchimp", "mandrill"),
        r"[0-9a-f]{32}-us\d{1,2}(?![0-9A-Za-z])|md-[A-Za-z0-9_-]{22}(?![0-9A-Za-z])",
    ),
    _r(
        "facebook-access-token",
        "FACEBOOK_TOKEN",
        "facebook",
        "eaa",
        r"EAA[A-Za-z0-9]{100,500}",
        check_placeholder=True,
        min_entropy=4.0,
        boundary="alnum",
    ),
    # ---------------------------------------------------------------- email & SMS
    _r(
        "sendgrid-api-key",
        "SENDGRID_API_KEY",
        "sendgrid",
        "sg.",
        rf"SG\.{_B64U}{{22}}\.{_B64U}{{43}}",
        boundary="alnum_",
    ),
    _r(
        "mailgun-api-key",
        "MAILGUN_API_KEY",
        "mailgun",
        "mailgun",
        r"(?:key-[0-9a-f]{32}|[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8})",
        priority=PRIORITY_CONTEXT,
        keyword_anywhere=True,
    ),
    _ctx("postmark-server-token", "POSTMARK_TOKEN", "postmark", ("postmark",), _UUIDV + "(?![0-9A-Za-z])"),
    _r("brevo-api-key", "BREVO_API_KEY", "brevo", "xkeysib-", r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}"),
    _r(
        "resend-api-key",
        "RESEND_API_KEY",
        "resend",
        "resend",
        rf"re_{_B62}{{8}}_{_B62}{{24}}",
        priority=PRIORITY_CONTEXT,
        keyword_anywhere=True,
    ),
    _r(
        "twilio-api-key",
        "TWILIO_KEY",
        "twilio",
        "twilio",
        r"SK[0-9a-fA-F]{32}",
        priority=PRIORITY_CONTEXT,
        keyword_anywhere=True,
    ),
    # An account SID is an identifier, not a secret (low severity), but it names the provider of
    # the "AC…:token" pair in a Basic header, which is what the binding rule needs.
    _r(
        "twilio-account-sid",
        "TWILIO_ACCOUNT_SID",
        "twilio",
        "twilio",
        r"AC[0-9a-f]{32}",
        priority=PRIORITY_CONTEXT,
        keyword_anywhere=True,
        severity=0.4,
    ),
    _ctx(
        "twilio-auth-token",
        "TWILIO_KEY",
        "twilio",
        ("twilio_auth", "twilio-auth", "twilioauth"),
        r"[0-9a-f]{32}(?![0-9A-Za-z])",
    ),
    # ---------------------------------------------------------------- vendor tokens (audit 4, M4)
    # HubSpot private app tokens: pat-<region: na1, na2, eu1, ap1, ...>-<uuid>
    _r("hubspot-private-app-token", "HUBSPOT_TOKEN", "hubspot", "pat-", rf"pat-[a-z]{{2}}\d-{_UUIDV}",
       boundary="alnum_"),
    # Salesforce session ids and OAuth access tokens: <15/18-char org id 00D…>!<token>
    _r("salesforce-session-id", "SALESFORCE_TOKEN", "salesforce", "00d",
       r"00D[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?![0-9A-Za-z._]{60,300}", min_entropy=3.5),
    # Plaid access tokens (the long-lived credential of an Item; public and link tokens expire)
    _r("plaid-access-token", "PLAID_ACCESS_TOKEN", "plaid",
       ("access-sandbox-", "access-development-", "access-production-"),
       rf"access-(?:sandbox|development|production)-{_UUIDV}", min_entropy=2.5, boundary="alnum_"),
    _ctx("plaid-secret", "PLAID_SECRET", "plaid", ("plaid_secret", "plaid-secret", "plaidsecret"),
         r"[0-9a-f]{30}(?![0-9A-Za-z])"),
    # Helicone: sk- (write) and pk- (read) keys, base32 in four dashed groups of seven, with an
    # optional kind (eu-, proxy-) before them
    _r("helicone-api-key", "HELICONE_API_KEY", "helicone", ("sk-helicone-", "pk-helicone-"),
       r"[sp]k-helicone-(?:[a-z]{2,5}-)?[a-z0-9]{7}(?:-[a-z0-9]{7}){3}", min_entropy=2.5),
    # Mailchimp Transactional (Mandrill) keys with their md- prefix, whatever the key is called
    # ({"key": "md-…"} is its own body auth position: body_auth.py). Mixed case: not a kebab name.
    _r("mandrill-api-key", "MAILCHIMP_KEY", "mailchimp", "md-", r"md-[A-Za-z0-9_-]{22}(?![0-9A-Za-z_-])",
       validator="mixed-case", min_entropy=3.5),
    # ---------------------------------------------------------------- tokens & key material
    _r(
        "jwt",
        "JWT",
        None,
        "eyj",
        r"eyJ[A-Za-z0-9_-]{8,4096}={0,2}\.[A-Za-z0-9_-]{8,8192}={0,2}\.[A-Za-z0-9_-]{0,2048}={0,2}",
        validator="jwt",
        severity=0.8,
        boundary="alnum_",
        min_entropy=0.0,
    ),
    _r(
        "private-key",
        "PRIVATE_KEY",
        None,
        "private key",
        r"-----BEGIN (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----" + _KEY_BODY + r"{64,16000}?"
        r"-----END (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----",
        validator="private-key",
        priority=PRIORITY_STRUCTURED,
        check_placeholder=False,
        severity=1.0,
    ),
    _r(
        "openssh-private-key",
        "PRIVATE_KEY",
        None,
        "openssh private key",
        r"-----BEGIN OPENSSH PRIVATE KEY-----" + _KEY_BODY + r"{64,16000}?-----END OPENSSH PRIVATE KEY-----",
        validator="private-key",
        priority=PRIORITY_STRUCTURED,
        check_placeholder=False,
        severity=1.0,
    ),
    _r(
        "pgp-private-key",
        "PRIVATE_KEY",
        None,
        "pgp private key block",
        r"-----BEGIN PGP PRIVATE KEY BLOCK-----"
        + _KEY_BODY
        + r"{64,32000}?-----END PGP PRIVATE KEY BLOCK-----",
        validator="private-key",
        priority=PRIORITY_STRUCTURED,
        check_placeholder=False,
        severity=1.0,
    ),
    _r(
        "putty-private-key",
        "PRIVATE_KEY",
        None,
        "putty-user-key-file-",
        # line by line, bounded: linear even on a text of header lines with no MAC
        r"PuTTY-User-Key-File-\d: [^\n]{0,200}\n(?:[^\n]{0,400}\n){1,400}?Private-MAC: [0-9a-f]{40,64}",
        validator="putty-key",
        priority=PRIORITY_STRUCTURED,
        check_placeholder=False,
        severity=1.0,
    ),
    _r(
        "age-secret-key",
        "PRIVATE_KEY",
        "age",
        "age-secret-key-1",
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
    ),
    # ---------------------------------------------------------------- connection strings
    _r(
        "jdbc-password",
        "DATABASE_URI_PASSWORD",
        None,
        "jdbc:",
        r"jdbc:[a-z0-9]+:[^\s\"'<>]{0,300}?[?;&:](?i:password|pwd)=(?P<v>[^;&\s\"'<>]{1,200})",
        priority=PRIORITY_STRUCTURED,
        min_entropy=0.0,
    ),
    _r(
        "jdbc-oracle-password",
        "DATABASE_URI_PASSWORD",
        None,
        "jdbc:oracle:",
        r"jdbc:oracle:(?:thin|oci):[^/\s\"'@]{1,100}/(?P<v>[^@\s\"']{1,200})@",
        priority=PRIORITY_STRUCTURED,
        min_entropy=0.0,
    ),
    _r(
        "connection-string-password",
        "DATABASE_URI_PASSWORD",
        None,
        ("server=", "data source=", "host="),
        r"(?i:(?:server|data source|host)=[^;\"'\n]{1,200};(?:[^;\"'\n]{1,200};){0,8}?\s?(?:password|pwd)=)"
        r"(?P<v>[^;\"'\s]{1,200})",
        priority=PRIORITY_STRUCTURED,
        min_entropy=0.0,
        anchored=True,
    ),
)


# ``scheme://user:password@host`` inside a text: one scan for "://", then the scheme decides the
# rule id. Ordered: the first scheme prefix that matches wins.
URI_SCHEMES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("postgres", "postgresql", "postgis", "pgsql"), "postgres-uri-password", "DATABASE_URI_PASSWORD"),
    (
        ("mysql", "mysqlx", "mariadb", "mysql+pymysql", "mysql+mysqldb"),
        "mysql-uri-password",
        "DATABASE_URI_PASSWORD",
    ),
    (("mongodb", "mongodb+srv"), "mongodb-uri-password", "DATABASE_URI_PASSWORD"),
    (("redis", "rediss", "valkey"), "redis-uri-password", "DATABASE_URI_PASSWORD"),
    (("amqp", "amqps"), "amqp-uri-password", "BROKER_URI_PASSWORD"),
    (("mssql", "sqlserver", "mssql+pyodbc"), "mssql-uri-password", "DATABASE_URI_PASSWORD"),
    (
        (
            "clickhouse",
            "cockroachdb",
            "couchdb",
            "neo4j",
            "neo4j+s",
            "bolt",
            "cassandra",
            "snowflake",
            "oracle",
        ),
        "database-uri-password",
        "DATABASE_URI_PASSWORD",
    ),
    (("kafka", "nats", "mqtt", "mqtts", "stomp"), "broker-uri-password", "BROKER_URI_PASSWORD"),
    (
        ("ftp", "ftps", "sftp", "smtp", "smtps", "imap", "imaps", "pop3", "ldap", "ldaps", "ssh"),
        "service-uri-password",
        "URI_PASSWORD",
    ),
)
URI_FALLBACK = ("url-basic-auth", "URI_PASSWORD")

# What a ``scheme://user:password@`` reading may span (``secrets.uri`` reads it; these shapes are
# shared with the prefilter below so that the two cannot drift apart). Nothing people type inside
# a userinfo: whitespace, quotes, angle brackets, backslashes, braces (the text around it: JSON,
# HTML, prose; ``{{password}}`` templates).
URI_TYPED_STOP = r"\s\"'<>\\{}"
MAX_URI_USERNAME = 128
MAX_URI_PASSWORD = 256
# The credential schemes: every name above. Their userinfo is read up to the last "@" before the
# host (a raw "@ # / ?" in a pasted DSN's password); a driver may qualify one (postgresql+psycopg2).
CREDENTIAL_URI_SCHEMES: frozenset[str] = frozenset(n for names, _id, _type in URI_SCHEMES for n in names)
_CREDENTIAL_SCHEME_ALT = "|".join(sorted(map(re.escape, CREDENTIAL_URI_SCHEMES), key=len, reverse=True))
_HOST_FIRST = r"@[A-Za-z0-9\[]"
# Any scheme, RFC 3986: a user name, then a password up to the first "@ / ? #".
_STRICT_USERINFO = (
    rf"://[^:/?#@{URI_TYPED_STOP}\[\]]{{1,{MAX_URI_USERNAME}}}:[^@/?#{URI_TYPED_STOP}]{{1,{MAX_URI_PASSWORD}}}"
)
# A credential scheme, read leniently: the user name may be empty or hold an "@", the password
# runs on to an "@" and a host character.
_LENIENT_USERINFO = (
    rf"(?:{_CREDENTIAL_SCHEME_ALT})(?:\+[A-Za-z0-9+.\-]*)?"
    rf"://[^:/?#{URI_TYPED_STOP}\[\]]{{0,{MAX_URI_USERNAME}}}:[^{URI_TYPED_STOP}]{{1,{MAX_URI_PASSWORD}}}"
)
# Where a reading can start: "://" and a user name up to its ":", ending before the password (a
# locator match that ran on into the password could swallow a later "://": ``…?next=postgres://…``).
_URI_START = rf"://[^:/?#{URI_TYPED_STOP}\[\]]{{0,{MAX_URI_USERNAME}}}:"

# The pattern finds ``://user:``; where the password ends is read in code (``secrets.uri``). The
# prefilter is the union of the two readings, each ending in "@" and a host character, so it stays a
# necessary condition of every finding, and a text full of ``http://host:8080/…?to=a@b.com`` does
# not wake the rule up.
URI_RULE = Rule(
    "uri-credentials",
    "URI_PASSWORD",
    None,
    ("://",),
    _URI_START,
    priority=PRIORITY_STRUCTURED,
    min_entropy=0.0,
    anchored=True,
    boundary="none",  # "://" always follows the scheme's letters
    prefilter=rf"(?:{_LENIENT_USERINFO}{_HOST_FIRST}|{_STRICT_USERINFO}{_HOST_FIRST})",
    locator=_URI_START,
)

GENERIC_KINDS = {
    "password": ("generic-password", "PASSWORD"),
    "secret": ("generic-secret", "GENERIC_SECRET"),
    "api_key": ("generic-api-key", "GENERIC_API_KEY"),
    "token": ("generic-token", "GENERIC_TOKEN"),
    "private_key": ("generic-private-key", "PRIVATE_KEY"),
}

# Inline ``key = value`` / ``"key": "value"`` with a secret-sounding key. The regex is tried where
# one of the base words occurs; the full key name is completed and classified in code
# (``context.classify_key``) and the value is gated by entropy, stopwords and code shapes. An
# unquoted value starts on the operator's line (``DB_PASSWORD=`` then a blank line is empty, not
# the next line); a subscript may close the name (``app.config['SECRET_KEY'] = …``,
# ``ENV["API_TOKEN"] = …``, ``settings[:secret_key_base] = …``); a value opened by a quote runs to
# its closing quote (a Django key holds ``( ) & $``), else it stops at the first delimiter.
_GENERIC_VALUE = (
    r"(?:\"\s{0,3}:\s{0,3}\"(?P<v>[^\"\\\s]{6,200})\"|'\s{0,3}:\s{0,3}'(?P<v2>[^'\\\s]{6,200})'"
    r"|[\"']?\]?[ \t]{0,3}(?:=|:=|=>|:)[ \t]{0,3}(?:\"(?P<v4>[^\"\\\s]{6,200})\"|'(?P<v5>[^'\\\s]{6,200})'"
    r"|[\"']?(?P<v3>[^\s\"'`&,;<>{}\[\]()\\]{6,200})))"
)
# Every name context.classify_key() accepts contains one of these, so a raw JSON/form body whose
# fields would be flagged by key context is also reported by may_match(). "pat" (a personal access
# token: ``AZURE_DEVOPS_PAT``) counts only as a name's last word, so the expressions below look for it
# only where it ends a name (never in "path", "pattern").
GENERIC_BASE_WORDS = (
    "pass",
    "pw",
    "secret",
    "token",
    "cred",
    "auth",
    "bearer",
    "mnemonic",
    "key",
    "jwt",
    "dsn",
    "connstr",
    "connectionstring",
    "sessionid",
    "pat",
)
_GENERIC_ALT = "|".join(w for w in GENERIC_BASE_WORDS if w != "pat")
# The name, up to its end: a base word and the rest of the name, or "pat" ending it.
_GENERIC_NAME = r"(?:(?:" + _GENERIC_ALT + r")[\w.-]{0,40}|pat[_.-]{0,40})"
# What may follow the name: the quoted-colon-quoted forms (whitespace allowed around the colon), or
# a quote/subscript and an operator on the same line.
_GENERIC_OPERATOR = r"(?:[\"']\s{0,3}:\s{0,3}[\"']|[\"']?\]?[ \t]{0,3}(?::=|[:=]>?)[ \t]{0,3}[\"']?)"
GENERIC_RULE = Rule(
    "generic-key-value",
    "GENERIC_SECRET",
    None,
    # Positions are taken at these base words and the key is completed leftwards in code, so "key"
    # also covers "api_key"/"accessKey"; classify_key() then rejects a bare "key" or "monkey".
    GENERIC_BASE_WORDS,
    r"(?P<k>(?i:" + "|".join(GENERIC_BASE_WORDS) + r")(?=(?P<kt>[\w.-]{0,40}))(?P=kt))" + _GENERIC_VALUE,
    priority=PRIORITY_GENERIC,
    min_entropy=0.0,
    anchored=True,
    tail=r"(?=(?P<kt>[\w.-]{0,40}))(?P=kt)" + _GENERIC_VALUE,
    locator=_GENERIC_NAME + r"[\"']?\]?\s{0,3}[:=]",
    prefilter=_GENERIC_NAME + _GENERIC_OPERATOR + r"[^\s\"'\\]{6}",
    # Keeps the six value characters: without them every '"max_tokens": 100' of a chat request
    # would fire it. One short count at the very end adds six states, not a product.
    screen=(
        r"(?:(?:" + _GENERIC_ALT + r")[\w.-]*|pat[_.-]*)"
        r"(?:[\"']\s*:\s*[\"']|[\"']?\]?[ \t]*(?::=|[:=]>?)[ \t]*[\"']?)[^\s\"'\\]{6}"
    ),
)


def all_rule_ids() -> frozenset[str]:
    """Every detector id this table can report (rows, URI schemes and generic kinds)."""
    ids = {r.id for r in RULES}
    ids.update(rule_id for _, rule_id, _ in URI_SCHEMES)
    ids.add(URI_FALLBACK[0])
    ids.update(rule_id for rule_id, _ in GENERIC_KINDS.values())
    ids.add(JWK_RULE.id)  # the one inline reading with an id of its own
    return frozenset(ids)


# --------------------------------------------------------------------------- inline generic readings
# Credentials whose name is not written ``key=value``: an HTTP auth header written out in text (a
# curl command, a requests/fetch snippet, a log line pasted into a prompt) and XML (element text and
# the name/value attribute idioms). Each is read in code (``_engine._INLINE_READERS``) and reported
# under the generic kinds (``GENERIC_KINDS``: ``generic-token``, ``generic-password``, …), with the
# generic gates (``validators.generic_value_ok``), below any other reading of the same span
# (``PRIORITY_INLINE``): a field's own name, when it has one, still decides.
PRIORITY_INLINE = -1
# Auth scheme words whose value is the credential itself: ``Bearer <token>`` (RFC 6750's b64token,
# plus "!" for Salesforce session ids), ``Basic <base64 of user:password>``, and ``Token <token>``
# after an ``Authorization`` name (alone, "token" is an English word). The value does not end in
# "." (a sentence's full stop).
_AUTH_VALUE = r"[A-Za-z0-9._~+/!-]{5,1023}[A-Za-z0-9_~+/!-]=*"
_AUTH_SCHEME_HEAD = r"(?:bearer|basic|authorization[\"'`\]]{0,2}\s{0,3}[:=,]\s{0,3}[\"'`]?token)\s{1,3}"
AUTH_SCHEME_RULE = Rule(
    "inline-auth-scheme",
    "GENERIC_TOKEN",
    None,
    ("bearer", "basic", "authorization"),
    r"(?<![A-Za-z0-9_])(?i:" + _AUTH_SCHEME_HEAD + r")(?P<v>" + _AUTH_VALUE + ")",
    priority=PRIORITY_INLINE,
    min_entropy=0.0,
    anchored=True,
    locator=_AUTH_SCHEME_HEAD,
    prefilter=_AUTH_SCHEME_HEAD + r"[A-Za-z0-9._~+/!-]{6}",
    screen=r"(?:bearer|basic|authorization[\"'`\]]*\s*[:=,]\s*[\"'`]?token)\s+[A-Za-z0-9._~+/!-]{6}",
)
# ``curl -u user:password`` / ``--user=user:password`` (the same command: no newline but an escaped
# one, no ";" or "|" between "curl" and the option). The password is the finding.
_CURL_GAP = r"(?:[^\n\\;|]|\\[^\n]|\\\r?\n){0,600}?"
CURL_USER_RULE = Rule(
    "inline-curl-user",
    "PASSWORD",
    None,
    ("curl",),
    r"curl(?![\w-])" + _CURL_GAP + r"\s(?:-u|--user)(?:=|[ \t]{1,5})"
    r"(?:\"[^\":\s]{1,128}:(?P<v>[^\"\s]{1,256})\"|'[^':\s]{1,128}:(?P<v2>[^'\s]{1,256})'"
    r"|[^\s:\"']{1,128}:(?P<v3>[^\s\"']{1,256}))",
    priority=PRIORITY_INLINE,
    min_entropy=0.0,
    anchored=True,
    boundary="none",
    prefilter=r"curl" + _CURL_GAP + r"\s(?:-u|--user)(?:=|[ \t]{1,5})[\"']?[^\s:]{1,128}:\S",
    locator=r"curl" + _CURL_GAP + r"\s(?:-u|--user)(?:=|[ \t]{1,5})",
)
# Passwords given as command-line options, read within one command (as for curl): the MySQL/MariaDB
# clients' ``-p<password>`` (glued: ``-p name`` names a database), ``sshpass -p``, a registry
# login's ``-p``/``--password`` (``docker login``, podman, nerdctl, buildah, skopeo, oras, finch,
# ``helm registry login``), and ``--password <value>`` (``--db-password``, ``--passwd``) in any
# command. Elsewhere ``-p`` is a port, a parent directory, a flag: never read (``docker run -p``,
# ``ssh -p``, ``mkdir -p``). Boolean flags (``--ask-vault-password``, ``--password-stdin``) are no value.
_CLI_GAP = r"(?:[^\n\\;|&]|\\[^\n]|\\\r?\n){0,300}?"
_CLI_TOOL = r"mysql(?:dump|admin|import|show|check|pump|sh)?|mariadb(?:-?dump|-?admin|-?import|-?check)?"
_CLI_LOGIN = r"(?:docker|podman|nerdctl|buildah|skopeo|oras|finch|helm[ \t]{1,5}registry)[ \t]{1,5}login"
_CLI_FLAG = r"--(?:[A-Za-z0-9]{1,20}-){0,2}(?:password|passwd)"
_CLI_BOOLEAN = r"(?!(?:ask|no|prompt|use|with|without|skip|read|show|print|generate|reset|require)-)"
_CLI_HEAD = (
    rf"(?:{_CLI_TOOL}){_CLI_GAP}\s-p"
    r"|sshpass[ \t]{1,5}(?:-v[ \t]{1,5})?-p[ \t]{0,5}"
    rf"|{_CLI_LOGIN}{_CLI_GAP}\s(?:-p|--password)(?:=|[ \t]{{1,5}})"
    rf"|{_CLI_FLAG}[ \t]{{1,5}}"
)
CLI_PASSWORD_RULE = Rule(
    "inline-cli-password",
    "PASSWORD",
    None,
    ("mysql", "mariadb", "sshpass", "docker", "podman", "nerdctl", "buildah", "skopeo", "oras", "finch",
     "helm", "--"),
    rf"(?:(?i:{_CLI_TOOL})(?![\w-]){_CLI_GAP}\s-p"
    r"|(?i:sshpass)[ \t]{1,5}(?:-v[ \t]{1,5})?-p[ \t]{0,5}"
    rf"|(?i:{_CLI_LOGIN})(?![\w-]){_CLI_GAP}\s(?:-p|--password)(?:=|[ \t]{{1,5}})"
    rf"|(?<![\w-])--{_CLI_BOOLEAN}(?:[A-Za-z0-9]{{1,20}}-){{0,2}}(?i:password|passwd)[ \t]{{1,5}})"
    r"(?:'(?P<v>[^'\s]{1,256})'|\"(?P<v2>[^\"\s]{1,256})\"|(?P<v3>[^\s'\"-][^\s'\"]{0,255}))",
    priority=PRIORITY_INLINE,
    min_entropy=0.0,
    anchored=True,
    boundary="none",
    prefilter=rf"(?:{_CLI_HEAD})\S",
    locator=_CLI_HEAD,
)
# XML: a start tag at "<" is read in code (``_engine._consider_xml``). Its credential name is the
# element's own name (``<password>…</password>``, ``<wsse:Password Type="…#PasswordText">``, Maven's
# ``<password>``, ``<apiKey>``), a ``name``/``key`` attribute (.NET ``<add key="ApiKey" value="…"/>``,
# Spring ``<property name="password" value="…"/>``, Android ``<string name="api_key">…</string>``,
# ``<entry key="password">…</entry>``), or a plist ``<key>Password</key><string>…</string>``; the
# name is classified by ``context.classify_key`` as a JSON key is. Bounded, no nesting: linear.
XML_NAME_ATTRS = ("name", "key")
XML_MAX_ATTRS = 500
_XML_TAG = r"[A-Za-z_][\w.-]{0,60}(?::[A-Za-z_][\w.-]{0,60})?"
_XML_IN_NAME = r"<(?:[\w.-]{1,61}:)?[\w.-]{0,60}(?:" + _GENERIC_ALT + r")"
_XML_IN_ATTR = (
    r"<[\w:.-]{1,122}\s[^<>]{0,500}(?:name|key)\s{0,3}=\s{0,3}[\"'][^\"'<>]{0,60}(?:" + _GENERIC_ALT + r")"
)
XML_RULE = Rule(
    "inline-xml",
    "GENERIC_SECRET",
    None,
    ("<",),
    r"<(?P<tag>" + _XML_TAG + r")(?P<attrs>(?:\s[^<>]{0,500})?)>",
    priority=PRIORITY_INLINE,
    min_entropy=0.0,
    anchored=True,
    boundary="none",
    locator=rf"(?:{_XML_IN_NAME}|{_XML_IN_ATTR})",
    # A name with a base word, then text (a CDATA section or a <value> child may come first); or
    # a name/key attribute naming one; a plist <key> is an element with a base word in its name.
    prefilter=(
        r"(?:<(?:[\w.-]+:)?[\w.-]*(?:" + _GENERIC_ALT + r")[\w.-]*(?:\s[^<>]*)?>\s*"
        r"(?:<!\[CDATA\[|<value>|[^<>\s]{6})"
        r"|<[\w:.-]+\s[^<>]*(?:name|key)\s*=\s*[\"'][^\"'<>]*(?:" + _GENERIC_ALT + r")[^<>]*>"
        r"|<key>[^<>]*(?:" + _GENERIC_ALT + r"))"
    ),
)
# A private JSON Web Key (RFC 7517/7518, 8037): an object with a "kty" and the private members, in
# a text (a jwks.json committed or pasted, a test fixture, JSON-escaped or not). When a text holds a
# "d" (RSA, EC, OKP) or "k" (a symmetric "oct" key) member with base64url, its flat objects (from a
# "{" to the next "}", no brace between: one linear pass) are read in code (``_engine._consider_jwk``):
# one that names its "kty" has every private member as a finding (RSA: "d", "p", "q", "dp", "dq",
# "qi": any of them rebuilds the key). A public JWK has none of these members.
JWK_MEMBER_VALUE = r"[A-Za-z0-9_-]{16,2800}"
_JWK_HEAD = r"\"[dk]\\?\"\s{0,3}:\s{0,3}\\?\""  # from the name's opening quote
JWK_RULE = Rule(
    "jwk-private-key",
    "PRIVATE_KEY",
    None,
    ('"d"', '"k"', '"d\\', '"k\\'),
    r"\{[^{}]{0,16384}\}",
    priority=PRIORITY_STRUCTURED,
    min_entropy=0.0,
    boundary="none",
    prefilter=_JWK_HEAD + r"[A-Za-z0-9_-]{16}",
    screen=r"\"[dk]\\?\"\s*:\s*\\?\"[A-Za-z0-9_-]{8}",
)
INLINE_RULES: tuple[Rule, ...] = (AUTH_SCHEME_RULE, CURL_USER_RULE, XML_RULE, CLI_PASSWORD_RULE, JWK_RULE)
