"""Bill sentences in the voice of CRS summaries: ``The Secretary shall establish ...`` ->
``Requires the Secretary to establish ...``.

Congressional Research Service summaries (the BillSum references) open most sentences with a verb
that says what the bill does to whom: *Requires*, *Directs*, *Authorizes*, *Prohibits*. A bill says
the same with ``shall`` / ``may`` / ``is authorized to`` after the subject. :func:`crs_sentence`
rewrites a sentence that opens with a short subject (no comma before the modal) that way (``shall``
becomes *Directs* when the subject is an official or agency, as in CRS summaries, else *Requires*;
``shall not`` becomes *Prohibits ... from* with the verb's ``-ing`` form; a later ``and shall`` / ``and may``
hangs from the same *to*), ``There are authorized
to be appropriated`` as ``Authorizes appropriations``, ``There is established`` as ``Establishes`` and
``It is the sense of Congress that`` as ``Expresses the sense of the Congress that``. A section
heading that names an action opens with its verb (:func:`crs_heading`: ``Extension of ...`` ->
``Extends ...``; stemmed ROUGE tells *extension* from *extends*). Every other sentence, ``may not`` (a limit, not a
prohibition), subjects such as ``No person`` / ``Nothing`` / ``There`` / ``It``, and sentences that state
an effect rather than a duty (``The amendment shall apply to ...``, ``... shall take effect``,
``... shall be eligible``) are returned unchanged. Pure function, no model.

>>> crs_sentence("The Secretary shall establish a program to award grants.")
'Directs the Secretary to establish a program to award grants.'
>>> crs_sentence("Each State plan shall include a description of the program.")
'Requires each State plan to include a description of the program.'
>>> crs_sentence("The Attorney General is authorized to award grants to States.")
'Authorizes the Attorney General to award grants to States.'
>>> crs_sentence("A State shall not use the funds to submit claims.")
'Prohibits a State from using the funds to submit claims.'
>>> crs_sentence("No person shall sell a firearm to a juvenile.")
'No person shall sell a firearm to a juvenile.'
"""

from __future__ import annotations

import re

#: openers of a subject that are lower-cased after the new verb ("Requires the Secretary to ...")
_DETERMINERS = frozenset("the each any a an such every all this that these those".split())
#: a subject: up to 12 words from the sentence start, no comma, semicolon, colon or parenthesis
_SUBJECT = r"(?P<subject>[A-Z][^,;:()]{0,120}?)"
_MODAL = re.compile(_SUBJECT + r"\s+(?P<modal>shall|may|is authorized to|are authorized to)\s+(?P<rest>\S.*)$",
                    re.DOTALL)
#: fixed openers and what CRS summaries say instead
_OPENERS = (
    (re.compile(r"^There (?:is|are) (?:hereby )?authorized to be appropriated\b"), "Authorizes appropriations"),
    (re.compile(r"^There (?:is|are) (?:hereby )?established\b"), "Establishes"),
    (re.compile(r"^It is the sense of (?:the )?(Congress|Senate|House of Representatives) that\b"),
     r"Expresses the sense of the \1 that"),
)
_VERB = {"shall": "Requires", "may": "Authorizes", "is authorized to": "Authorizes", "are authorized to": "Authorizes"}
#: what a provision does or is rather than requires ("The amendment shall apply to ...", "... shall take effect",
#: "The Commission shall be composed of ...", "The functions of the Commission shall be to ...")
_NOT_A_DUTY = re.compile(r"(?:apply|take effect|be effective|become effective|have the meaning|mean|be construed|be "
                         r"considered|be treated|be deemed|remain|cease|expire|terminate|supersede|affect|preempt|be eligible|be "
                         r"entitled|be ineligible|be fined|be imprisoned|be subject to|be liable|be composed|consist|be to|be "
                         r"made up)\b")
#: officials and agencies: CRS summaries *direct* them ("Directs the Secretary to ...")
_OFFICIAL = re.compile(r"^(?:the )?(?:Secretary|Administrator|Attorney General|Director|Commissioner|Commission|President"
                       r"|Comptroller General|Board|Chairman|Chair)\b")
#: subjects that are not agents ("There shall be ...", "It shall be unlawful ...", "Nothing in ... shall")
_NOT_A_SUBJECT = re.compile(r"^(?:there|it|nothing|no|neither|none)\b", re.IGNORECASE)


def crs_sentence(sentence: str, lower_case: frozenset[str] = frozenset()) -> str:
    """``sentence`` rewritten in the CRS summaries' voice, or unchanged (see the module docstring).

    ``lower_case``: words the document writes in lower case; a subject opening with one of them loses its
    sentence-initial capital (``Fellowships may be funded`` -> ``Authorizes fellowships to be funded``)."""
    for opener, replacement in _OPENERS:
        if opener.match(sentence):
            return opener.sub(replacement, sentence, count=1)
    match = _MODAL.match(sentence)
    if not match:
        return sentence
    subject, modal, rest = match.group("subject"), match.group("modal"), match.group("rest")
    if len(subject.split()) > 12 or _NOT_A_SUBJECT.match(subject):
        return sentence
    negated = re.match(r"(?:also )?not\b", rest)
    if negated:
        rest = rest[negated.end():].lstrip()
        # "shall not, on or after ..., promulgate": the verb is not next; "shall not carry out, develop, refine":
        # a list of verbs would keep the others in the base form
        if not re.match(r"[a-z]+\s", rest) or "," in " ".join(rest.split()[:3]):
            return sentence
    if _NOT_A_DUTY.match(rest) or (negated and modal != "shall"):
        return sentence
    first, _, others = subject.partition(" ")
    if first.lower() in _DETERMINERS or (first[1:].islower() and first.lower() in lower_case):
        subject = first.lower() + (" " + others if others else "")
    if negated:
        verb, _, after = rest.partition(" ")
        return f"Prohibits {subject} from {gerund(verb)}" + (f" {after}" if after else "")
    verb = "Directs" if modal == "shall" and _OFFICIAL.match(subject) else _VERB[modal]
    # "... to establish a program and shall report ...": the later duties hang from the same "to"
    rest = re.sub(rf"\b(and|or) {modal} (?!not\b)", r"\1 ", rest) if modal in ("shall", "may") else rest
    return f"{verb} {subject} to {rest}"


#: verbs of bills that double their last consonant ("submit" -> "submitting")
_DOUBLING = frozenset("submit permit admit commit transmit omit refer transfer confer defer prefer compel "
                      "bar ban plan ship stop set get put run begin forget regret occur incur".split())


def gerund(verb: str) -> str:
    """``establish`` -> ``establishing``, ``use`` -> ``using``, ``submit`` -> ``submitting``, ``be`` -> ``being``."""
    lower = verb.lower()
    if lower in _DOUBLING:
        return verb + verb[-1] + "ing"
    if lower.endswith("ie"):
        return verb[:-2] + "ying"
    if lower.endswith("e") and not lower.endswith(("ee", "oe", "ye")) and lower != "be":
        return verb[:-1] + "ing"
    return verb + "ing"


#: section headings that name an action ("Extension of ...") and the verb CRS summaries use ("Extends ...")
_ACTIONS = {
    "extension": "Extends", "extensions": "Extends", "repeal": "Repeals", "establishment": "Establishes",
    "expansion": "Expands", "increase": "Increases", "increases": "Increases", "amendment": "Amends",
    "amendments": "Amends", "limitation": "Limits", "limitations": "Limits", "revision": "Revises",
    "revisions": "Revises", "reduction": "Reduces", "transfer": "Transfers", "elimination": "Eliminates",
    "reaffirmation": "Reaffirms", "adjustment": "Adjusts", "adjustments": "Adjusts", "prohibition": "Prohibits",
    "modification": "Modifies", "modifications": "Modifies", "termination": "Terminates", "designation": "Designates",
    "creation": "Creates", "clarification": "Clarifies", "reauthorization": "Reauthorizes", "improvement": "Improves",
    "improvements": "Improves", "exemption": "Exempts", "restoration": "Restores",
}
_ACTION_HEADING = re.compile(r"^(?P<noun>[A-Z][a-z]+) (?:of|to|on|in|for|from) (?=\S)")


def crs_heading(heading: str) -> str:
    """A section heading that names an action, said as CRS summaries say it: ``Extension of the generalized
    system of preferences.`` -> ``Extends the generalized system of preferences.``; others unchanged."""
    match = _ACTION_HEADING.match(heading)
    verb = _ACTIONS.get(match.group("noun").lower()) if match else None
    return f"{verb} {heading[match.end():]}" if match and verb else heading


_DOLLARS = re.compile(r"\$(\d{1,3}(?:,\d{3}){2,3})(?![\d,])")
_FISCAL_YEARS = re.compile(r"\bfiscal years? (\d{4})(?:(,? and|,? through| to|-) ?(\d{4}))?\b")


def _amount(match: re.Match[str]) -> str:
    value = int(match.group(1).replace(",", ""))
    for size, word in ((10**9, "billion"), (10**6, "million")):
        if value >= size and value % (size // 1000) == 0:
            return f"${value / size:g} {word}"
    return match.group(0)


def crs_numbers(sentence: str) -> str:
    """Amounts and fiscal years as CRS summaries write them: ``$13,500,000`` -> ``$13.5 million``, ``fiscal years
    2004 through 2008`` -> ``FY2004-FY2008``, ``fiscal year 2031`` -> ``FY2031``; other amounts (``$1,234,567``,
    ``$100,000``) unchanged."""
    sentence = _DOLLARS.sub(_amount, sentence)
    return _FISCAL_YEARS.sub(_fiscal_years, sentence)


def _fiscal_years(match: re.Match[str]) -> str:
    first, joint, last = match.group(1), match.group(2), match.group(3)
    if not last:
        return f"FY{first}"
    return f"FY{first} and FY{last}" if "and" in joint else f"FY{first}-FY{last}"
