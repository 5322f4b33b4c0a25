"""Bill sentences in the voice of CRS summaries: ``The Secretary shall establish ...`` ->
``Requires the Secretary to establish ...``.

Congressional Research Service summaries (the BillSum references) open most sentences with a verb
that says what the bill does to whom: *Requires*, *Directs*, *Authorizes*, *Prohibits*. A bill says
the same with ``shall`` / ``may`` / ``is authorized to`` after the subject. :func:`crs_sentence`
rewrites a sentence that opens with a short subject (no comma before the modal) that way (``shall``
becomes *Directs* when the subject is an official or agency, as in CRS summaries, else *Requires*),
and ``There are authorized to be appropriated`` as ``Authorizes appropriations``; every other
sentence, every negated one (``shall not``, ``may not``) and every one that states an effect rather
than a duty (``The amendment shall apply to ...``, ``... shall take effect``) is returned unchanged.
Pure function, no model.

>>> crs_sentence("The Secretary shall establish a program to award grants.")
'Directs the Secretary to establish a program to award grants.'
>>> crs_sentence("Each State plan shall include a description of the program.")
'Requires each State plan to include a description of the program.'
>>> crs_sentence("The Attorney General is authorized to award grants to States.")
'Authorizes the Attorney General to award grants to States.'
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
_APPROPRIATIONS = re.compile(r"^There (?:is|are) (?:hereby )?authorized to be appropriated\b")
_VERB = {"shall": "Requires", "may": "Authorizes", "is authorized to": "Authorizes", "are authorized to": "Authorizes"}
#: subjects that are not agents ("There shall be ...", "It shall be unlawful ...", "Nothing in ... shall")
#: what a provision does rather than requires ("The amendment shall apply to ...", "... shall take effect")
_NOT_A_DUTY = re.compile(r"(?:apply|take effect|be effective|become effective|have the meaning|mean|be construed|be "
                         r"considered|be treated|be deemed|remain|cease|expire|terminate|supersede|affect|preempt)\b")
#: officials and agencies: CRS summaries *direct* them ("Directs the Secretary to ...")
_OFFICIAL = re.compile(r"^(?:the )?(?:Secretary|Administrator|Attorney General|Director|Commissioner|Commission|President"
                       r"|Comptroller General|Board|Chairman|Chair)\b")
_NOT_A_SUBJECT = re.compile(r"^(?:there|it|nothing|no|neither|none)\b", re.IGNORECASE)


def crs_sentence(sentence: str) -> str:
    """``sentence`` rewritten in the CRS summaries' voice, or unchanged (see the module docstring)."""
    if _APPROPRIATIONS.match(sentence):
        return _APPROPRIATIONS.sub("Authorizes appropriations", sentence, count=1)
    match = _MODAL.match(sentence)
    if not match:
        return sentence
    subject, modal, rest = match.group("subject"), match.group("modal"), match.group("rest")
    if (len(subject.split()) > 12 or _NOT_A_SUBJECT.match(subject) or re.match(r"(?:not|also not)\b", rest)
            or _NOT_A_DUTY.match(rest)):
        return sentence
    first, _, others = subject.partition(" ")
    if first.lower() in _DETERMINERS:
        subject = first.lower() + (" " + others if others else "")
    verb = "Directs" if modal == "shall" and _OFFICIAL.match(subject) else _VERB[modal]
    return f"{verb} {subject} to {rest}"
