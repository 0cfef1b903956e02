"""A modest list of UK place names, for proposing place candidates.

Written for qualkit from general knowledge (the names of the UK's cities, England's ceremonial
counties, London's boroughs, Scottish, Welsh and Northern Irish areas and some large towns), not copied from any
dataset, so it ships under qualkit's own licence. It is a starting point: pass your own list to
:func:`qualkit.pseudonymise.suggest_candidates` for villages and districts. Places that are
everyday words (Reading, Bath, Wells, Deal, March, Street, Sale, Down) are left out; add them
yourself if your schools are there. Regions of England (London, the North East, ...) are left
out too: they are usually case attributes and do not identify a school on their own.
"""

from __future__ import annotations

CITIES = (
    "Bangor", "Belfast", "Birmingham", "Bradford", "Brighton", "Brighton and Hove", "Bristol", "Cambridge",
    "Canterbury", "Cardiff", "Carlisle", "Chelmsford", "Chester", "Chichester", "Colchester", "Coventry",
    "Derby", "Derry", "Doncaster", "Dundee", "Dunfermline", "Durham", "Edinburgh", "Exeter", "Glasgow",
    "Gloucester", "Hereford", "Inverness", "Kingston upon Hull", "Hull", "Lancaster", "Leeds", "Leicester",
    "Lichfield", "Lincoln", "Lisburn", "Liverpool", "Manchester", "Milton Keynes", "Newcastle",
    "Newcastle upon Tyne", "Newport", "Newry", "Norwich", "Nottingham", "Oxford", "Perth", "Peterborough",
    "Plymouth", "Portsmouth", "Preston", "Ripon", "Salford", "Salisbury", "Sheffield", "Southampton",
    "Southend-on-Sea", "Southend", "St Albans", "St Asaph", "St Davids", "Stirling", "Stoke-on-Trent",
    "Sunderland", "Swansea", "Truro", "Wakefield", "Westminster", "Winchester", "Wolverhampton",
    "Worcester", "Wrexham", "York", "Aberdeen", "Armagh", "Ely",
)

COUNTIES = (
    "Bedfordshire", "Berkshire", "Buckinghamshire", "Cambridgeshire", "Cheshire", "Cornwall", "Cumbria",
    "Derbyshire", "Devon", "Dorset", "County Durham", "East Riding of Yorkshire", "East Sussex", "Essex",
    "Gloucestershire", "Greater London", "Greater Manchester", "Hampshire", "Herefordshire",
    "Hertfordshire", "Isle of Wight", "Kent", "Lancashire", "Leicestershire", "Lincolnshire",
    "Merseyside", "Norfolk", "North Yorkshire", "Northamptonshire", "Northumberland",
    "Nottinghamshire", "Oxfordshire", "Rutland", "Shropshire", "Somerset", "South Yorkshire",
    "Staffordshire", "Suffolk", "Surrey", "Tyne and Wear", "Warwickshire", "West Midlands",
    "West Sussex", "West Yorkshire", "Wiltshire", "Worcestershire", "Isles of Scilly",
    "Yorkshire", "Anglesey", "Gwynedd", "Conwy", "Denbighshire", "Flintshire", "Powys", "Ceredigion",
    "Pembrokeshire", "Carmarthenshire", "Monmouthshire", "Rhondda", "Fife", "Highland", "Aberdeenshire",
    "Argyll", "Lanarkshire", "Ayrshire", "Antrim", "Fermanagh", "Tyrone", "Londonderry",
)

TOWNS = (
    "Barnsley", "Barrow-in-Furness", "Basildon", "Basingstoke", "Bedford", "Birkenhead", "Blackburn",
    "Blackpool", "Bolton", "Bournemouth", "Bracknell", "Burnley", "Bury", "Cheltenham", "Chesterfield",
    "Crawley", "Darlington", "Dudley", "Eastbourne", "Gateshead", "Gillingham", "Grimsby", "Guildford",
    "Halifax", "Harlow", "Harrogate", "Hartlepool", "Hastings", "High Wycombe", "Huddersfield", "Ipswich",
    "Kendal", "Keswick", "Kidderminster", "King's Lynn", "Luton", "Maidstone", "Mansfield", "Margate",
    "Middlesbrough", "Northampton", "Nuneaton", "Oldham", "Penrith", "Penzance", "Poole", "Redditch",
    "Rochdale", "Rotherham", "Rugby", "Scarborough", "Scunthorpe", "Shrewsbury", "Slough", "Solihull",
    "Southport", "Stevenage", "Stockport", "Stockton-on-Tees", "Swindon", "Taunton", "Telford",
    "Torquay", "Wallsend", "Walsall", "Warrington", "Watford", "Weymouth", "Whitehaven", "Widnes",
    "Wigan", "Woking", "Workington", "Worthing", "Yeovil", "Falmouth", "St Ives", "Whitby", "Lowestoft",
    "Great Yarmouth", "Skegness", "Boston", "Grantham", "Kettering", "Corby", "Wellingborough",
)

LONDON_BOROUGHS = (
    "Barking and Dagenham", "Barnet", "Bexley", "Brent", "Bromley", "Camden", "Croydon", "Ealing", "Enfield",
    "Greenwich", "Hackney", "Hammersmith", "Fulham", "Haringey", "Harrow", "Havering", "Hillingdon",
    "Hounslow", "Islington", "Kensington", "Chelsea", "Kingston upon Thames", "Lambeth", "Lewisham",
    "Merton", "Newham", "Redbridge", "Richmond upon Thames", "Southwark", "Sutton", "Tower Hamlets",
    "Waltham Forest", "Wandsworth",
)

UK_PLACES: tuple[str, ...] = tuple(dict.fromkeys((*CITIES, *COUNTIES, *TOWNS, *LONDON_BOROUGHS)))
