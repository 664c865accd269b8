from indicators.constants import ImportFormat
from ingest.importers.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import regime episodes: org_code,regime,entered,exited[,route,reason] (or an entries-only list such as "
        "data/real/special-measures/keogh_2013.csv, stored with the exit not recorded), checked as RegimeEpisode.clean "
        "checks them (exit not before entry, entry within the regime's validity, no overlap)."
    )
    format = ImportFormat.EPISODES
