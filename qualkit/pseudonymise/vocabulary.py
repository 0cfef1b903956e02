"""Word lists that tell names from roles, school words and everyday capitals.

All lower-case; compare with ``word.casefold()``. They are deliberately modest: they decide
what qualkit *proposes* (candidates, aliases) and what a speaker label is, never what it
silently keeps: the researcher reviews both.
"""

from __future__ import annotations

# Titles before a name. Matched case-sensitively ("Mrs", "MRS"), so "I miss Chloe" keeps "miss".
TITLES = (
    "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Professor", "Sir", "Dame", "Rev", "Revd", "Reverend",
    "Father", "Sister", "Lord", "Lady",
)

# Words a speaker label or an "interviewee" value uses for a role rather than a name.
ROLE_WORDS = frozenset(
    """
    interviewer interviewee researcher research facilitator moderator participant respondent speaker
    host guest unknown audience note notes transcriber chair member staff
    headteacher head teacher teachers deputy assistant executive principal vice associate acting
    lead leader leaders senior middle phase subject year group key stage department faculty
    cpd pd npq npqs npqh npqml npqsl npqlt npqltd npqlbc npqsen npqel ect ects ecf itt pgce scitt
    mentor mentors coach coaches tutor induction trainee trainees student students intern
    senco sendco send inco hlta ta tas ks1 ks2 ks3 ks4 ks5 eyfs
    governor governors trustee trustees ceo coo cfo director manager officer coordinator co-ordinator
    business bursar administrator admin support teaching learning professional curriculum science
    maths english pastoral safeguarding dsl inclusion behaviour attendance early career
    parent parents carer pupil pupils child children
    school trust academy
    of for and the on in with at to a an
    male female man woman
    """.split()
)

# Words after a school's own name: "Brookfield Primary School", "Fellside CE Primary".
SCHOOL_WORDS = frozenset(
    """
    school schools primary secondary academy academies college ce cofe c-of-e rc catholic church
    community infant infants junior juniors nursery special all-through through all free grammar
    high middle upper lower first studio ut utc sixth form federation voluntary aided controlled
    foundation methodist anglican c of e england
    """.split()
)
# Generic words matched after a school's form when capitalised ("Brookfield Primary School"),
# so the whole name becomes "School A" rather than "School A School". Multi-word ones first.
SCHOOL_TRAILING = (
    "church of england", "c of e", "all-through", "all through", "sixth form", "voluntary aided",
    "voluntary controlled", "primary", "secondary", "school", "academy", "college", "ce", "cofe", "rc",
    "catholic", "community", "infant", "infants", "junior", "juniors", "nursery", "special", "free",
    "grammar", "high", "studio", "utc", "federation", "foundation", "methodist", "anglican", "first",
    "middle", "upper", "lower",
)
ORGANISATION_TRAILING = (
    "multi-academy trust", "multi academy trust", "academy trust", "learning trust", "education trust",
    "schools trust", "teaching school hub", "county council", "borough council", "city council",
    "district council", "local authority", "trust", "federation", "partnership", "council",
    "diocese", "hub", "alliance", "network", "institute", "foundation", "academies", "schools",
)

# The words that end a school's name: a run of capitals ending in one of these is a school.
SCHOOL_HEADS = frozenset("school academy college primary infants juniors nursery".split())

# Words in an organisation's name after its own name: "Northern Lights Learning Trust".
ORGANISATION_WORDS = frozenset(
    """
    trust trusts learning education educational academy academies multi-academy multi mat federation
    partnership partnerships council county borough city district metropolitan authority diocese
    diocesan hub hubs alliance network institute foundation charity group board
    """.split()
)
ORGANISATION_HEADS = frozenset(
    "trust federation partnership council authority diocese hub alliance network institute foundation".split()
)

MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
DAYS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays "
    "fridays saturdays sundays".split()
)

# Words that start sentences or fill speech: stripped from the front of a capitalised run
# ("So Millbrook" -> "Millbrook", "Dr Rachel Hale" -> "Rachel Hale").
FUNCTION_WORDS = frozenset(
    """
    i i'm i'd i'll i've you we they he she it the a an and but so or if then when what where who why
    how this that these those there here yes no yeah okay ok oh um er erm right well thanks thank
    sorry hi hello please honestly actually really basically obviously definitely absolutely
    our my your their his her its at in on of for to from with by as about after before since
    mr mrs ms miss mx dr prof sir dame
    """.split()
)

# Countries: where people trained or came from, not who or where the school is.
COUNTRIES = frozenset(
    """
    afghanistan albania algeria argentina australia austria bangladesh belgium brazil bulgaria canada
    chile china colombia croatia cyprus czechia denmark egypt eritrea estonia ethiopia finland france
    germany ghana greece hungary india indonesia iran iraq ireland israel italy jamaica japan kenya
    latvia lebanon libya lithuania malaysia mexico morocco nepal netherlands nigeria norway pakistan
    palestine philippines poland portugal romania russia rwanda serbia sierra leone singapore slovakia
    somalia spain sri lanka sudan sweden switzerland syria tanzania thailand turkey uganda ukraine
    usa america vietnam yemen zambia zimbabwe africa asia europe
    """.split()
)

# Capitals that are not names in English education research: bodies, programmes, languages,
# festivals, products, regions and countries, and words that start sentences.
STOP_WORDS = frozenset(
    """
    ofsted dfe dfes esfa ofqual npq npqs npqh ect ects ecf itt send senco sencos cpd pd inset pgce
    scitt qts mat mats la las ks1 ks2 ks3 ks4 ks5 eyfs gcse gcses sats sat ebacc ppa hlta ta tas
    pupil premium key stage year years reception nursery covid covid-19 lockdown brexit
    national institute teaching early career framework teachers standards gov uk nhs bbc
    english maths mathematics science history geography french spanish german portuguese polish
    italian urdu arabic punjabi bengali somali romanian latin greek chinese mandarin british
    european english-speaking christian muslim hindu sikh jewish catholic anglican
    christmas easter ramadan eid diwali halloween whitsun half-term
    google microsoft teams zoom excel powerpoint word youtube twitter facebook instagram tiktok
    whatsapp padlet oak rosenshine bunsen
    north south east west northern southern eastern western midlands east-midlands
    england scotland wales britain uk london
    interviewer interviewee researcher participant headteacher head
    """.split()
) | FUNCTION_WORDS | MONTHS | DAYS | COUNTRIES

# Regions of England: case attributes in most designs, not identifying on their own.
REGIONS = (
    "North East", "North West", "Yorkshire and the Humber", "East Midlands", "West Midlands",
    "East of England", "London", "South East", "South West",
)

# First names that are everyday words: never derived as an alias on their own (add them by hand).
COMMON_WORD_NAMES = frozenset(
    """
    will mark may june april august grace hope joy faith rose summer bill pat art bob sue jack
    dawn holly ivy lily iris pearl ruby amber crystal sky rob guy carol chase cliff dean drew
    frank gene glen grant hunter jay jim lance max miles nick pierce ray rich rod russell sandy
    skip stan sterling tad ted terry victor wade warren wes woody young brook
    """.split()
) | MONTHS | DAYS
