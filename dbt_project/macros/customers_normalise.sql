{#- Normalisation of the values identity resolution compares (models/intermediate/customers).
    Engine-specific functions stay in here (DESIGN.md decision 8). -#}

{#- Full-width ASCII (typed with the IME on) and the ideographic space to half-width, after NFC:
    the NFKC folding that matters for e-mail, phone and postcode. A value that is all ASCII (as
    many bytes as characters) has nothing to fold and skips translate(), which cost ~2.5 us a
    value with this map: most of int_identities_normalised's time at the large tier. -#}
{% macro customers_halfwidth(column) -%}
    {%- set nfc = "nfc_normalize(" ~ column ~ ")" -%}
    case
        when strlen({{ nfc }}) = length({{ nfc }}) then {{ nfc }}
        else translate(
            {{ nfc }},
            '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　‐−',
            '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ --'
        )
    end
{%- endmacro %}

{#- Providers that deliver local+tag@ to local@: the tag is dropped. Gmail also ignores dots. -#}
{% macro customers_plus_tag_domains() -%}
    ('icloud.com', 'me.com', 'outlook.com', 'outlook.jp', 'hotmail.com', 'hotmail.co.jp', 'live.jp',
     'fastmail.com', 'protonmail.com', 'proton.me')
{%- endmacro %}

{#- The parts around the '@' by string_split, not split_part: DuckDB (2.0) fails to bind
    `split_part(x, '@', 2) = '...'` where it knows x is always null, which it is when every
    source of e-mail addresses is empty, as in a build before the first load: "Invalid Input
    Error: BindBuiltinScalarFunction did not return a BoundFunctionExpression". -#}
{% macro customers_email(column) -%}
    {%- set e = "lower(trim(" ~ customers_halfwidth(column) ~ "))" -%}
    {%- set local_part = "string_split(" ~ e ~ ", '@')[1]" -%}
    {%- set domain = "string_split(" ~ e ~ ", '@')[2]" -%}
    case
        when not regexp_matches({{ e }}, '^[^@\s]+@[^@\s]+\.[^@\s]+$') then null
        when {{ domain }} in ('gmail.com', 'googlemail.com')
            then replace(regexp_replace({{ local_part }}, '\+.*$', ''), '.', '') || '@gmail.com'
        when {{ domain }} in {{ customers_plus_tag_domains() }}
            then regexp_replace({{ local_part }}, '\+.*$', '') || '@' || {{ domain }}
        else {{ e }}
    end
{%- endmacro %}

{#- Relay addresses the marketplaces hand out instead of the buyer's own: one per buyer and
    channel, so they identify within the channel but never join two channels' identities. -#}
{% macro customers_email_is_masked(normalised_email) -%}
    coalesce(
        {{ normalised_email }} like '%@marketplace.amazon.co.jp'
        or {{ normalised_email }} like '%.fw.rakuten.ne.jp',
        false
    )
{%- endmacro %}

{#- Japanese numbers as typed (090-1234-5678, (090) 1234-5678, +81 90 1234 5678, ０９０－...)
    to E.164 (+819012345678); anything that is not a plausible Japanese number gives null. -#}
{% macro customers_phone_e164(column) -%}
    {%- set d = "regexp_replace(" ~ customers_halfwidth(column) ~ ", '[^0-9+]', '', 'g')" -%}
    {%- set e164 -%}
        case
            when {{ d }} like '+81%' then '+81' || ltrim(substr({{ d }}, 4), '0')
            when {{ d }} like '0081%' then '+81' || ltrim(substr({{ d }}, 5), '0')
            when {{ d }} like '0%' then '+81' || substr({{ d }}, 2)
            when {{ d }} like '81%' and length({{ d }}) in (11, 12) then '+' || {{ d }}
        end
    {%- endset -%}
    case when regexp_matches({{ e164 }}, '^\+81[1-9][0-9]{8,9}$') then {{ e164 }} end
{%- endmacro %}

{#- Postcodes as 7 digits (150-0041, 1500041, 〒１５０－００４１); anything else gives null. -#}
{% macro customers_postal_code(column) -%}
    {%- set d = "regexp_replace(" ~ customers_halfwidth(column) ~ ", '[^0-9]', '', 'g')" -%}
    case when length({{ d }}) = 7 then {{ d }} end
{%- endmacro %}

{#- An address line for comparison: half-width, without spaces, a dash (or a long vowel mark
    typed as one) after a digit written as "-" (kept: 4-1-22 and 41-2-2 are different blocks). -#}
{% macro customers_address_key(column) -%}
    nullif(
        regexp_replace(
            regexp_replace(lower({{ customers_halfwidth(column) }}), '\s+', '', 'g'),
            '([0-9])[ー－‐−–—-]', '\1-', 'g'
        ),
        ''
    )
{%- endmacro %}

{#- A name (or its reading) as written, for comparing and for looking up its learned reading:
    NFC, without spaces of either width. -#}
{% macro customers_name_as_written(column) -%}
    nullif(regexp_replace(nfc_normalize({{ column }}), '[\s　]+', '', 'g'), '')
{%- endmacro %}

{% macro customers_is_romaji(column) -%}
    regexp_matches({{ column }}, '^[A-Za-z][A-Za-z''’ .\-]*$')
{%- endmacro %}

{% macro customers_is_kana(column) -%}
    regexp_matches({{ column }}, '^[\p{Katakana}\p{Hiragana}ー・ ]+$')
{%- endmacro %}

{#- Hepburn romaji of a kana string (hiragana is read as katakana). The sokuon and the long
    vowel mark are dropped: customers_romaji_key folds doubled letters and long vowels anyway. -#}
{% macro customers_kana_to_romaji(column) -%}
    {%- set digraphs = [
        ('キャ', 'kya'), ('キュ', 'kyu'), ('キョ', 'kyo'), ('ギャ', 'gya'), ('ギュ', 'gyu'), ('ギョ', 'gyo'),
        ('シャ', 'sha'), ('シュ', 'shu'), ('ショ', 'sho'), ('シェ', 'she'), ('ジャ', 'ja'), ('ジュ', 'ju'),
        ('ジョ', 'jo'), ('ジェ', 'je'), ('チャ', 'cha'), ('チュ', 'chu'), ('チョ', 'cho'), ('チェ', 'che'),
        ('ヂャ', 'ja'), ('ヂュ', 'ju'), ('ヂョ', 'jo'), ('ニャ', 'nya'), ('ニュ', 'nyu'), ('ニョ', 'nyo'),
        ('ヒャ', 'hya'), ('ヒュ', 'hyu'), ('ヒョ', 'hyo'), ('ビャ', 'bya'), ('ビュ', 'byu'), ('ビョ', 'byo'),
        ('ピャ', 'pya'), ('ピュ', 'pyu'), ('ピョ', 'pyo'), ('ミャ', 'mya'), ('ミュ', 'myu'), ('ミョ', 'myo'),
        ('リャ', 'rya'), ('リュ', 'ryu'), ('リョ', 'ryo'), ('ファ', 'fa'), ('フィ', 'fi'), ('フェ', 'fe'),
        ('フォ', 'fo'), ('ティ', 'ti'), ('ディ', 'di'), ('ウィ', 'wi'), ('ウェ', 'we'), ('ヴァ', 'va'),
    ] -%}
    {%- set monographs = [
        ('ア', 'a'), ('イ', 'i'), ('ウ', 'u'), ('エ', 'e'), ('オ', 'o'),
        ('カ', 'ka'), ('キ', 'ki'), ('ク', 'ku'), ('ケ', 'ke'), ('コ', 'ko'),
        ('ガ', 'ga'), ('ギ', 'gi'), ('グ', 'gu'), ('ゲ', 'ge'), ('ゴ', 'go'),
        ('サ', 'sa'), ('シ', 'shi'), ('ス', 'su'), ('セ', 'se'), ('ソ', 'so'),
        ('ザ', 'za'), ('ジ', 'ji'), ('ズ', 'zu'), ('ゼ', 'ze'), ('ゾ', 'zo'),
        ('タ', 'ta'), ('チ', 'chi'), ('ツ', 'tsu'), ('テ', 'te'), ('ト', 'to'),
        ('ダ', 'da'), ('ヂ', 'ji'), ('ヅ', 'zu'), ('デ', 'de'), ('ド', 'do'),
        ('ナ', 'na'), ('ニ', 'ni'), ('ヌ', 'nu'), ('ネ', 'ne'), ('ノ', 'no'),
        ('ハ', 'ha'), ('ヒ', 'hi'), ('フ', 'fu'), ('ヘ', 'he'), ('ホ', 'ho'),
        ('バ', 'ba'), ('ビ', 'bi'), ('ブ', 'bu'), ('ベ', 'be'), ('ボ', 'bo'),
        ('パ', 'pa'), ('ピ', 'pi'), ('プ', 'pu'), ('ペ', 'pe'), ('ポ', 'po'),
        ('マ', 'ma'), ('ミ', 'mi'), ('ム', 'mu'), ('メ', 'me'), ('モ', 'mo'),
        ('ヤ', 'ya'), ('ユ', 'yu'), ('ヨ', 'yo'),
        ('ラ', 'ra'), ('リ', 'ri'), ('ル', 'ru'), ('レ', 're'), ('ロ', 'ro'),
        ('ワ', 'wa'), ('ヰ', 'i'), ('ヱ', 'e'), ('ヲ', 'o'), ('ン', 'n'), ('ヴ', 'vu'),
        ('ァ', 'a'), ('ィ', 'i'), ('ゥ', 'u'), ('ェ', 'e'), ('ォ', 'o'),
        ('ャ', 'ya'), ('ュ', 'yu'), ('ョ', 'yo'), ('ヮ', 'wa'), ('ヵ', 'ka'), ('ヶ', 'ke'),
        ('ッ', ''), ('ー', ''), ('・', ''), (' ', ''),
    ] -%}
    {%- set ns = namespace(expr=(
        "translate(nfc_normalize(" ~ column ~ "), "
        ~ "'ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔゕゖ', "
        ~ "'ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴヵヶ')"
    )) -%}
    {%- for kana, romaji in digraphs + monographs -%}
        {%- set ns.expr = "replace(" ~ ns.expr ~ ", '" ~ kana ~ "', '" ~ romaji ~ "')" -%}
    {%- endfor -%}
    {{ ns.expr }}
{%- endmacro %}

{#- A loose romaji key under which spellings of one reading agree: Hepburn and Kunrei-shiki
    (shi/si, chi/ti, tsu/tu, fu/hu, ji/zi), long vowels written or not (Ohta/Ota, Satoh/Sato,
    Yuuko/Yuko, Kouji/Koji), doubled letters, apostrophes, and voicing (Nakajima/Nakashima,
    Yamazaki/Yamasaki). Coarser than a reading on purpose: it is only ever compared together
    with a phone, an address or a postcode. -#}
{% macro customers_romaji_key(column) -%}
    {%- set ns = namespace(expr="regexp_replace(lower(" ~ column ~ "), '[^a-z]', '', 'g')") -%}
    {%- for spelled, folded in [
        ('tsu', 'tu'), ('shi', 'si'), ('chi', 'ti'), ('sh', 'sy'), ('ch', 'ty'), ('fu', 'hu'),
        ('ji', 'zi'), ('j', 'zy'),
    ] -%}
        {%- set ns.expr = "replace(" ~ ns.expr ~ ", '" ~ spelled ~ "', '" ~ folded ~ "')" -%}
    {%- endfor -%}
    {%- set ns.expr = "regexp_replace(" ~ ns.expr ~ ", 'oh([^aeiouy]|$)', 'o\\1', 'g')" -%}
    {%- set ns.expr = "replace(" ~ ns.expr ~ ", 'ou', 'o')" -%}
    {%- for letter in 'abcdefghijklmnopqrstuvwxyz' -%}
        {%- set ns.expr = "replace(" ~ ns.expr ~ ", '" ~ letter ~ letter ~ "', '" ~ letter ~ "')" -%}
    {%- endfor -%}
    nullif(translate({{ ns.expr }}, 'gzdbp', 'ksthh'), '')
{%- endmacro %}
